#!/usr/bin/env python3
# Runs a command with a pseudo-terminal as its standard output and/or
# error, as a person's terminal would be, and writes the bytes the
# terminal received to our standard output. Exits with the command's code.
#   onpty.py [--stdout FILE] [--stderr FILE] [--cols N] -- CMD ARGS...
# --stdout/--stderr send that stream to FILE instead of the terminal
# (FILE "|" sends it through a pipe that is drained and dropped).
import fcntl, os, pty, select, struct, sys, termios

def main():
    args = sys.argv[1:]
    redirect = {}
    cols = 80
    while args and args[0] != "--":
        opt, val = args[0], args[1]
        args = args[2:]
        if opt == "--stdout":
            redirect[1] = val
        elif opt == "--stderr":
            redirect[2] = val
        elif opt == "--cols":
            cols = int(val)
        else:
            sys.exit("onpty.py: unknown option " + opt)
    cmd = args[1:]
    pipes = {}
    for fd, target in redirect.items():
        if target == "|":
            pipes[fd] = os.pipe()
    pid, master = pty.fork()
    if pid == 0:
        for fd, target in redirect.items():
            if target == "|":
                os.dup2(pipes[fd][1], fd)
            else:
                out = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
                os.dup2(out, fd)
        for r, w in pipes.values():
            os.close(r)
            os.close(w)
        os.execvp(cmd[0], cmd)
    fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", 24, cols, 0, 0))
    drains = []
    for r, w in pipes.values():
        os.close(w)
        drains.append(r)
    data = b""
    open_fds = [master] + drains
    while master in open_fds:
        ready, _, _ = select.select(open_fds, [], [])
        for fd in ready:
            try:
                chunk = os.read(fd, 1 << 16)
            except OSError:  # EIO: the child closed the terminal
                chunk = b""
            if not chunk:
                open_fds.remove(fd)
            elif fd == master:
                data += chunk
    _, status = os.waitpid(pid, 0)
    sys.stdout.buffer.write(data)
    sys.exit(os.waitstatus_to_exitcode(status))

main()
