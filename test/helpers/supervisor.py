#!/usr/bin/env python3
# The tests' stand-in for systemd, under the contract of scs-agent@.service and scs-agent@STACK.socket:
# runs a command, and runs it again RESPAWN_MS after it exits, unless it exited with a status that
# prevents a restart. With --listen ADDRESS:PORT it holds a UDP and a TCP socket there for as long as
# it runs (bound with IP_FREEBIND, as the socket unit's FreeBind=yes), and hands both to every run
# by systemd's socket activation protocol (LISTEN_FDS, LISTEN_PID, LISTEN_FDNAMES, fds from 3): a
# query sent while no run is there waits in the socket instead of being refused.
#
# It is written in Python because it must hold sockets it never reads: a Node process that binds a
# socket also reads from it, and would take queries away from the runs it hands the socket to.
#
# Says on stdout, a line each: "started PID" and "exited PID CODE" (or the signal's name). SIGTERM, or
# the end of its stdin (whoever started it is gone), stops it: no more restarts, the run is sent
# SIGTERM and waited for. A test that dies leaves no supervisor restarting agents behind.

import argparse
import fcntl
import os
import signal
import socket
import sys
import threading
import time

IP_FREEBIND = 15  # linux/in.h; Python's socket module does not name it


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def held_sockets(listen: str) -> list[socket.socket]:
    host, _, port = listen.rpartition(":")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    held = []
    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        held_socket = socket.socket(family, kind)
        held_socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        held_socket.setsockopt(socket.IPPROTO_IP if family == socket.AF_INET else socket.IPPROTO_IPV6, IP_FREEBIND, 1)
        held_socket.bind((host.strip("[]"), int(port)))
        if kind == socket.SOCK_STREAM:
            held_socket.listen(128)
        held.append(held_socket)
    return held


def run_once(command: list[str], held: list[socket.socket], name: str, log: int) -> int:
    pid = os.fork()
    if pid == 0:
        try:
            devnull = os.open(os.devnull, os.O_RDONLY)
            os.dup2(devnull, 0)
            os.dup2(log, 1)
            os.dup2(log, 2)
            env = dict(os.environ)
            if held:
                # Copied out of the way first: a held socket may itself be fd 3 or 4.
                copies = [fcntl.fcntl(held_socket.fileno(), fcntl.F_DUPFD, 100) for held_socket in held]
                for at, copy in enumerate(copies):
                    os.dup2(copy, 3 + at)
                    os.set_inheritable(3 + at, True)
                env.update(LISTEN_FDS=str(len(held)), LISTEN_PID=str(os.getpid()), LISTEN_FDNAMES=":".join([name] * len(held)))
            os.execvpe(command[0], command, env)
        finally:
            os._exit(127)
    return pid


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--listen")
    parser.add_argument("--name", default="dns")
    parser.add_argument("--log", required=True)
    parser.add_argument("--respawn-ms", type=int, default=100)
    parser.add_argument("--prevent-restart", type=int, action="append", default=[])
    parser.add_argument("command", nargs=argparse.REMAINDER)
    options = parser.parse_args()
    command = options.command[1:] if options.command[:1] == ["--"] else options.command

    held = held_sockets(options.listen) if options.listen else []
    log = os.open(options.log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    stopping = False
    child = 0

    def stop(_signum, _frame):
        nonlocal stopping
        stopping = True
        if child:
            try:
                os.kill(child, signal.SIGTERM)
            except ProcessLookupError:
                pass

    signal.signal(signal.SIGTERM, stop)
    threading.Thread(target=lambda: (sys.stdin.read(), os.kill(os.getpid(), signal.SIGTERM)), daemon=True).start()
    while not stopping:
        child = run_once(command, held, options.name, log)
        say(f"started {child}")
        while True:
            try:
                _, status = os.waitpid(child, 0)
                break
            except InterruptedError:
                continue
        ended = signal.Signals(os.WTERMSIG(status)).name if os.WIFSIGNALED(status) else str(os.WEXITSTATUS(status))
        say(f"exited {child} {ended}")
        child = 0
        if os.WIFEXITED(status) and os.WEXITSTATUS(status) in options.prevent_restart:
            break
        if not stopping:
            time.sleep(options.respawn_ms / 1000)


if __name__ == "__main__":
    main()
