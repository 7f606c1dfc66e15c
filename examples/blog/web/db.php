<?php
/* WordPress's database drop-in (wp-content/db.php): the stock wpdb, with a connection that waits
 * for a database which is away for a moment. When db crashes, Docker restarts it (often on a new
 * port) and the live update rewrites /run/scs/env within about a second; a request that arrives
 * meanwhile re-reads the address and tries again for up to BLOG_DB_WAIT seconds, instead of
 * answering "Error establishing a database connection" at once. With 0 it tries once, as stock. */
$blog_wait = getenv('BLOG_DB_WAIT'); // From the scs.yaml's env, through php-fpm's env[].
define('BLOG_DB_WAIT', is_numeric($blog_wait) ? max(0.0, (float) $blog_wait) : 5.0);

class Blog_Wpdb extends wpdb {
    public function db_connect($allow_bail = true) {
        $deadline = microtime(true) + BLOG_DB_WAIT;
        // A connection to a port that is going away can hang rather than fail: one second each.
        $timeout = ini_set('default_socket_timeout', '1');
        try {
            for (;;) {
                $this->dbhost = blog_db_host();
                $last = microtime(true) >= $deadline;
                if (parent::db_connect($last && $allow_bail) || $last) return (bool) $this->dbh;
                usleep(100000);
            }
        } finally {
            ini_set('default_socket_timeout', $timeout);
        }
    }
}

$wpdb = new Blog_Wpdb(DB_USER, DB_PASSWORD, DB_NAME, DB_HOST);
