# SPDX-License-Identifier: MIT
# What the interop tests share (go_sendxmpp_test.py, xmppjs_test.py): ternd's self-signed
# certificate, for clients that verify it for real; a child process whose output lines are read
# with bounded waits; and a loud failure when a client the project's setup installs is missing.
import asyncio
import glob
import os
import re
import shutil
import tempfile

DOMAIN = "localhost"
# Every client process gets this long before it is killed.
PROCESS_TIMEOUT = 40


def require_program(name, installed_by):
    """The path of `name`, or an AssertionError saying what installs it: a missing client fails
    the test, it never skips it."""
    path = shutil.which(name)
    if path is None:
        raise AssertionError(f"{name} is not installed ({installed_by}); run scripts/setup.sh")
    return path


def server_certificate(server):
    """The path of ternd's self-signed certificate for localhost (it names localhost and
    127.0.0.1, so a client connecting to 127.0.0.1 can verify it as its only trust anchor): where
    ternd says it is ("ternd: certificate for localhost: PATH …"), else where it keeps it in
    its store."""
    for line in server.output:
        m = re.match(rf"ternd: certificate for {re.escape(DOMAIN)}: (\S+)", line)
        if m and os.path.isfile(m.group(1)):
            return m.group(1)
    found = sorted(glob.glob(os.path.join(server.store, "**", f"{DOMAIN}.crt"), recursive=True))
    if not found:
        raise AssertionError(f"no {DOMAIN}.crt under {server.store}: where does ternd keep its "
                             "self-signed certificate now?")
    return found[0]


class ChildProcess:
    """A client process run in the background: stdout line by line on a queue (each read
    bounded), stderr kept in a file for the failure message, killed in cleanup."""

    def __init__(self):
        self.process = None
        self.lines = asyncio.Queue()
        self.stderr = tempfile.TemporaryFile(mode="w+b")
        self._reader = None

    @classmethod
    async def start(cls, test, argv, env, stdin=None, cwd=None):
        self = cls()
        self.process = await asyncio.create_subprocess_exec(
            *argv, stdin=asyncio.subprocess.PIPE if stdin is not None else
            asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=self.stderr,
            env=env, cwd=cwd)
        test.addAsyncCleanup(self.kill)
        if stdin is not None:
            self.process.stdin.write(stdin.encode())
            await self.process.stdin.drain()
            self.process.stdin.close()
        self._reader = asyncio.ensure_future(self._read())
        return self

    async def _read(self):
        while True:
            line = await self.process.stdout.readline()
            if not line:
                break
            await self.lines.put(line.decode("utf-8", "replace").rstrip("\n"))
        await self.lines.put(None)  # end of output

    async def line(self, timeout=PROCESS_TIMEOUT):
        """The next line of output, or None once the process has closed its output."""
        try:
            return await asyncio.wait_for(self.lines.get(), timeout)
        except asyncio.TimeoutError:
            raise AssertionError(f"no output in {timeout} s\n{self.errors()}")

    async def wait(self, timeout=PROCESS_TIMEOUT):
        """The exit status; the process is killed if it has not exited in time."""
        try:
            return await asyncio.wait_for(self.process.wait(), timeout)
        except asyncio.TimeoutError:
            self.process.kill()
            await self.process.wait()
            raise AssertionError(f"the process did not exit in {timeout} s\n{self.errors()}")

    def errors(self, limit=6000):
        # pread: the child writes through the same open file, so its offset must not move.
        fd = self.stderr.fileno()
        size = os.fstat(fd).st_size
        start = max(0, size - limit)
        text = os.pread(fd, size - start, start).decode("utf-8", "replace")
        return "--- stderr ---\n" + (text if text else "(empty)")

    async def kill(self):
        if self.process.returncode is None:
            self.process.kill()
        await self.process.wait()
        if self._reader is not None:
            await asyncio.wait([self._reader], timeout=5)
        self.stderr.close()


async def run(argv, env, stdin="", timeout=PROCESS_TIMEOUT):
    """Runs a client to completion: (exit status, stdout, stderr). Killed after `timeout`."""
    process = await asyncio.create_subprocess_exec(
        *argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, env=env)
    try:
        out, err = await asyncio.wait_for(process.communicate(stdin.encode()), timeout)
    except asyncio.TimeoutError:
        process.kill()
        out, err = await process.communicate()
        raise AssertionError(f"{argv[0]} did not exit in {timeout} s\n"
                             f"{out.decode(errors='replace')}\n{err.decode(errors='replace')}")
    return process.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")
