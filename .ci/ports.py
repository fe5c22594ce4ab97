"""Small pieces the CI scripts that run the real binary share."""
import http.client
import socket
import subprocess


class PorticoCommandFailed(Exception):
    """A `portico …` command that exited non-zero; the message names it and has its stderr."""


def run_portico(binary, env, argv, timeout=None):
    """`binary ARGV…` with `env`: its standard output, or PorticoCommandFailed."""
    out = subprocess.run([binary, *argv], env=env, capture_output=True, text=True, timeout=timeout)
    if out.returncode != 0:
        raise PorticoCommandFailed(f"portico {' '.join(argv)}: {out.stderr.strip()}")
    return out.stdout


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def ready(port):
    """Whether the Portico on 127.0.0.1:`port` answers /readyz with 200."""
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        c.request("GET", "/readyz")
        return c.getresponse().status == 200
    except OSError:
        return False
