# SPDX-License-Identifier: MIT
# Test harness: starts the real ternd on free loopback ports with a temporary store, provisions
# accounts with ternctl, and stops the server by its PID. Used by the integration tests, which
# drive it with real clients (Debian's slixmpp) over real sockets. The server's standard output
# and its log (standard error) are read all along into `output`: a pipe that nobody reads fills
# up, and then the log's writer thread would wait for it.
import os
import re
import resource
import signal
import socket
import subprocess
import tempfile
import threading
import time
import tomllib

BUILD = os.environ.get("TERN_BUILD_DIR", "build")
_DEFAULT_CONFIG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "etc",
                               "tern.toml")


def default_modules():
    """The documented default [modules] enabled (etc/tern.toml)."""
    with open(_DEFAULT_CONFIG, "rb") as f:
        return tomllib.load(f)["modules"]["enabled"]


def modules_enabled(*extra, order=None):
    """A --set value enabling the documented default modules and `extra`; `order`, if given, is
    the exact list instead."""
    defaults = default_modules()
    chosen = order or [*defaults, *(name for name in extra if name not in defaults)]
    names = ", ".join(f'"{name}"' for name in chosen)
    return f"modules.enabled=[{names}]"


def http_upload_settings(put_url, secret="conformance-secret", max_file_size=None):
    """--set values that turn the http_upload module on (XEP-0363)."""
    settings = [modules_enabled("http_upload"), f'modules.http_upload.put_url="{put_url}"',
                f'modules.http_upload.secret="{secret}"']
    if max_file_size is not None:
        settings.append(f"modules.http_upload.max_file_size={max_file_size}")
    return settings


class TernServer:
    def __init__(self, *overrides, workers=2, config=None):
        """`config`: a configuration file read before the overrides (--config)."""
        self.dir = tempfile.TemporaryDirectory(prefix="tern-it-")
        self.config = config
        self.store = os.path.join(self.dir.name, "store")
        self.overrides = [
            f"server.storage_path={self.store}",
            f"server.workers={workers}",
            'c2s.starttls=["127.0.0.1:0"]',
            'c2s.direct_tls=["127.0.0.1:0"]',
            'http.listen=["127.0.0.1:0"]',
            'http.tls_listen=["127.0.0.1:0"]',
            *overrides,
        ]
        self.process = None
        self.ports = {}
        self.output = []
        self._reader = None

    def _args(self):
        args = ["--config", self.config] if self.config else []
        for o in self.overrides:
            args += ["--set", o]
        return args

    def start(self, timeout=15, max_descriptors=None, env=None):
        """Starts ternd; `max_descriptors` sets its RLIMIT_NOFILE (soft and hard), as `ulimit -n`
        would; `env` adds environment variables (TERN_STORE_FAULTS)."""
        limit = None
        if max_descriptors is not None:
            def limit():
                resource.setrlimit(resource.RLIMIT_NOFILE, (max_descriptors, max_descriptors))
        self.process = subprocess.Popen([os.path.join(BUILD, "ternd", "ternd"), *self._args()],
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        text=True, preexec_fn=limit,
                                        env={**os.environ, **(env or {})})
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            self.output.append(line)
            m = re.match(r"ternd: listening (\S+) 127\.0\.0\.1:(\d+)", line)
            if m:
                self.ports[m.group(1)] = int(m.group(2))
            if line.startswith("ternd: ready"):
                self._reader = threading.Thread(target=self._read_output, args=(self.process,),
                                                daemon=True)
                self._reader.start()
                return self
        raise RuntimeError("ternd did not start:\n" + "".join(self.output))

    def _read_output(self, process):
        for line in process.stdout:
            self.output.append(line)

    def _read_rest(self):
        """What the process wrote until it exited (it has exited)."""
        if self._reader is not None:
            self._reader.join(timeout=30)
            self._reader = None
        elif self.process is not None:
            self.output.append(self.process.stdout.read())

    def output_lines(self):
        return "".join(self.output).splitlines()

    def wait_for_output(self, pattern, timeout=15):
        """The first line of output matching the regular expression `pattern`, waiting for it."""
        deadline = time.monotonic() + timeout
        while True:
            for line in self.output_lines():
                if re.search(pattern, line):
                    return line
            if time.monotonic() > deadline:
                raise AssertionError(f"no output line matches {pattern!r}:\n" +
                                     "".join(self.output)[-8000:])
            time.sleep(0.05)

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def _terminate(self):
        """Stops the process with SIGTERM; returns a problem description or None."""
        problem = None
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.output.append(self._stacks())  # for the report: where is it stuck?
                self.process.kill()
                self.process.wait()
                problem = "ternd did not stop within 20 s of SIGTERM"
        self._read_rest()
        if problem is None and self.process is not None and self.process.returncode != 0:
            problem = f"ternd exited with status {self.process.returncode}"
        return problem

    def kill_and_restart(self, env=None):
        """SIGKILL (no chance to flush or say goodbye), then start again on the same store (with
        `env` added to its environment: TERN_STORE_FAULTS)."""
        self.process.kill()
        self.process.wait()
        self._read_rest()
        self.ports = {}
        return self.start(env=env)

    def _stacks(self):
        """Every thread's stack of the running server (gdb, when installed), or a note."""
        try:
            run = subprocess.run(["gdb", "-batch", "-p", str(self.process.pid), "-ex",
                                  "thread apply all bt 30"], capture_output=True, text=True,
                                 timeout=60)
            return "\n--- ternd threads ---\n" + run.stdout[-12000:]
        except (OSError, subprocess.TimeoutExpired) as e:
            return f"\n(no stacks: {e})\n"

    def restart(self):
        """Stops the server cleanly and starts it again on the same store (new ports)."""
        problem = self._terminate()
        if problem:
            raise AssertionError(problem + ":\n" + "".join(self.output)[-4000:])
        self.ports = {}
        return self.start()

    def stop(self):
        """Stops the server with SIGTERM; raises if it did not exit cleanly (a crash, a hang, or
        a sanitizer report in the sanitizer build)."""
        problem = self._terminate()
        self.dir.cleanup()
        if problem:
            raise AssertionError(problem + ":\n" + "".join(self.output)[-16000:])

    def ensure_store(self):
        """ternctl creates no store implicitly: make it once, before the first account."""
        if not os.path.exists(os.path.join(self.store, "data.mdb")):
            subprocess.run([os.path.join(BUILD, "tools", "ternctl"), *self._args(), "init"],
                           check=True, capture_output=True, timeout=30)

    def adduser(self, jid, password):
        self.ensure_store()
        subprocess.run([os.path.join(BUILD, "tools", "ternctl"), *self._args(), "adduser", jid,
                        password], check=True, capture_output=True, timeout=30)

    def ternctl(self, *args):
        """ternctl with this server's settings (it reads the live store); its output."""
        run = subprocess.run([os.path.join(BUILD, "tools", "ternctl"), *self._args(), *args],
                             check=True, capture_output=True, text=True, timeout=30)
        return run.stdout

    def offline_count(self, jid):
        """How many messages wait in jid's offline queue (ternctl reads the live store)."""
        run = subprocess.run([os.path.join(BUILD, "tools", "ternctl"), *self._args(), "offline",
                              jid], check=True, capture_output=True, text=True, timeout=30)
        return int(run.stdout)

    def wait_offline_count(self, jid, count, timeout=30):
        deadline = time.monotonic() + timeout
        while True:
            seen = self.offline_count(jid)
            if seen == count or time.monotonic() > deadline:
                return seen
            time.sleep(0.1)

    def deluser(self, jid):
        subprocess.run([os.path.join(BUILD, "tools", "ternctl"), *self._args(), "deluser", jid],
                       check=True, capture_output=True, timeout=30)

    @property
    def port(self):
        return self.ports["starttls"]

    def raw(self, data, read_for=0.5):
        """Sends raw bytes on a new plain connection and returns what the server answered."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
            s.sendall(data)
            s.settimeout(read_for)
            chunks = []
            try:
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    chunks.append(chunk)
            except socket.timeout:
                pass
            return b"".join(chunks).decode("utf-8", "replace")

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


class SharedServer:
    """A ternd shared by the tests of one class, started in setUpClass and stopped in
    tearDownClass: mix it in before the TestCase base (class T(SharedServer, unittest.TestCase))
    and set `settings`, the --set overrides it starts with, and `accounts`, (JID, password)
    pairs made before the tests. Tests use self.server."""

    settings = ()
    accounts_at_start = ()
    # False for a class whose tests start (and restart) servers of their own and set
    # type(self).server: then none is started for the class, and none left running.
    start_shared_server = True

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if cls.start_shared_server:
            cls.server = TernServer(*cls.settings).start()
            for jid, password in cls.accounts_at_start:
                cls.server.adduser(jid, password)

    @classmethod
    def tearDownClass(cls):
        if cls.start_shared_server:
            cls.server.stop()
        super().tearDownClass()
