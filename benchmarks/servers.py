"""Servers a benchmark starts, and how they are stopped: by their PID, whatever happened."""

import signal
import subprocess


def stop(server, log=None):
    """Ask a server started with subprocess.Popen to stop; kill it if it has not within 20 s."""
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
    if log is not None:
        log.close()
