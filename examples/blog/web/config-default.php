<?php
/* The blog's WordPress settings, read by Debian's /usr/share/wordpress/wp-config.php.
 * php-fpm clears the environment of its workers (clear_env), so the database's address is read
 * from /run/scs/env, which the start script writes from SCS_REQUIRE_MYSQL and the live update
 * rewrites when db moves. It is read on every request: a move needs no reload. */
function blog_scs_env($file) {
    $values = [];
    foreach (@file($file, FILE_IGNORE_NEW_LINES) ?: [] as $line) {
        if (preg_match('/^([A-Z0-9_]+)="([^"]*)"$/', $line, $m)) $values[$m[1]] = $m[2];
    }
    return $values;
}
/** The first endpoint of db, as the live update last wrote it. */
function blog_db_host() {
    $first = explode(';', blog_scs_env('/run/scs/env')['SCS_REQUIRE_MYSQL'] ?? '')[0];
    // No endpoint at all (db never came up): a closed port, so WordPress says it cannot connect.
    return $first !== '' ? $first : '127.0.0.1:1';
}

define('DB_NAME', 'wordpress');
define('DB_USER', 'wordpress');
define('DB_PASSWORD', trim((string) @file_get_contents('/run/secrets/db-password')));
define('DB_HOST', blog_db_host()); // wp-content/db.php reads it again when a connection fails.

// The site is wherever it is reached: the published port changes between hosts and runs.
$blog_host = preg_replace('/[^A-Za-z0-9.:\[\]-]/', '', $_SERVER['HTTP_HOST'] ?? 'localhost');
define('WP_HOME', 'http://' . $blog_host);
define('WP_SITEURL', 'http://' . $blog_host);
