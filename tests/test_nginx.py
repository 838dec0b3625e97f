"""The example web-server configuration, checked by nginx itself and served to Chromium.

`deploy/nginx.conf.example` is what a municipality copies; these tests take that very file,
change only what a deployment changes (ports, root, certificate paths), and
- check that every location adding a header of its own repeats every security header (nginx
  gives such a location none of the server's),
- run `nginx -t` on it,
- serve the built sample site through it over HTTPS and open pages in Chromium under its
  Content-Security-Policy: no violation, and the headers on pages, datasets and search files.
"""
from __future__ import annotations

import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from conftest import ROOT

EXAMPLE = ROOT / "deploy" / "nginx.conf.example"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
SECURITY_HEADERS = ["Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy",
                    "X-Frame-Options", "Strict-Transport-Security"]


def _blocks(text: str, keyword: str) -> list[tuple[str, str]]:
    """(header line, body) of each ``keyword … { … }`` block, braces balanced."""
    found = []
    # A block opens at the end of its line (a regex location may hold braces: «{12,}»).
    for match in re.finditer(rf"^[ \t]*{keyword}\b(.*?)\{{[ \t]*$", text, re.M):
        depth, position = 1, match.end()
        while depth:
            depth += {"{": 1, "}": -1}.get(text[position], 0)
            position += 1
        found.append((match.group(1).strip(), text[match.end():position - 1]))
    return found


def _headers_added(body: str) -> set[str]:
    return set(re.findall(r"^\s*add_header\s+(\S+)", body, re.M))


def _config_text() -> str:
    return "\n".join(line.split("#", 1)[0] for line in EXAMPLE.read_text("utf-8").splitlines())


def test_every_location_that_adds_a_header_repeats_the_security_headers():
    servers = [body for head, body in _blocks(_config_text(), "server") if "443" in body]
    assert len(servers) == 1
    server = servers[0]
    assert set(SECURITY_HEADERS) <= _headers_added(server)
    locations = _blocks(server, "location")
    assert locations, "the example has no location blocks"
    checked = 0
    for head, body in locations:
        added = _headers_added(body)
        if added:
            checked += 1
            missing = set(SECURITY_HEADERS) - added
            assert not missing, f"location {head} drops {sorted(missing)}"
    assert checked >= 2  # /data/ and the hashed search files add headers of their own


@pytest.mark.parametrize("dropped", SECURITY_HEADERS)
def test_the_header_check_catches_a_location_that_drops_one(dropped):
    """The check above is not vacuous: remove one header from /data/ and it fails."""
    server = next(body for head, body in _blocks(_config_text(), "server") if "443" in body)
    data = next(body for head, body in _blocks(server, "location") if head == "/data/")
    stripped = re.sub(rf"^\s*add_header\s+{re.escape(dropped)}\b.*$", "", data, flags=re.M)
    assert dropped not in _headers_added(stripped)
    assert set(SECURITY_HEADERS) - _headers_added(stripped) == {dropped}


# --- nginx itself ---------------------------------------------------------------------------

def _free_ports(count: int) -> list[int]:
    """Ports the kernel has free now, all different (each held until all are chosen)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _deployment(root: Path, work: Path) -> tuple[Path, int]:
    """The example with a deployment's own values: a full nginx.conf around it."""
    if not Path(NGINX).exists():
        pytest.fail("nginx is missing: install Debian's nginx (.ci/run does)")
    work.mkdir(parents=True, exist_ok=True)
    certificate, key = work / "cert.pem", work / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=localhost", "-keyout", str(key), "-out", str(certificate)],
                   check=True, capture_output=True)
    http_port, https_port = _free_ports(2)
    server = EXAMPLE.read_text("utf-8")
    replacements = [
        ("listen 80;", f"listen 127.0.0.1:{http_port};"),
        ("listen [::]:80;", ""),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;"),
        ("listen [::]:443 ssl http2;", ""),
        ("/etc/letsencrypt/live/shafaf.example.org/fullchain.pem", str(certificate)),
        ("/etc/letsencrypt/live/shafaf.example.org/privkey.pem", str(key)),
        ("root /srv/shafaf;", f"root {root};"),
    ]
    for old, new in replacements:
        assert old in server, f"the example no longer has «{old}»: update this test's deployment"
        server = server.replace(old, new)
    conf = work / "nginx.conf"
    conf.write_text(f"""
user root;
pid {work / 'nginx.pid'};
error_log {work / 'error.log'};
worker_processes 1;
events {{ worker_connections 64; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    client_body_temp_path {work}/body;
    proxy_temp_path {work}/proxy;
    fastcgi_temp_path {work}/fastcgi;
    uwsgi_temp_path {work}/uwsgi;
    scgi_temp_path {work}/scgi;
{server}
}}
""", encoding="utf-8")
    return conf, https_port


def test_nginx_accepts_the_example(tmp_path):
    conf, _ = _deployment(tmp_path / "site", tmp_path / "nginx")
    check = subprocess.run([NGINX, "-t", "-c", str(conf), "-p", str(tmp_path / "nginx")],
                           capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stderr
    assert "syntax is ok" in check.stderr


def test_nginx_refuses_a_broken_example(tmp_path):
    """`nginx -t` really reads the file: a typo in it fails."""
    conf, _ = _deployment(tmp_path / "site", tmp_path / "nginx")
    conf.write_text(conf.read_text().replace("gzip_static on;", "gzip_statik on;"))
    check = subprocess.run([NGINX, "-t", "-c", str(conf), "-p", str(tmp_path / "nginx")],
                           capture_output=True, text=True, check=False)
    assert check.returncode != 0
    assert "gzip_statik" in check.stderr


def _serve(root: Path, work: Path) -> tuple[subprocess.Popen, int]:
    """nginx serving ``root`` through the example, once it listens: (the server, its HTTPS port).

    The ports were free when chosen, but another process (a test in another pytest-xdist worker,
    a browser's connection) may take one before nginx binds it; nginx then stops, and starts
    again on other ports. Ready means nginx wrote its pid file, which it does only once its ports
    are bound, never that something answers on the port: that could be another test's server."""
    for _ in range(5):
        conf, port = _deployment(root, work)
        pid_file = work / "nginx.pid"
        pid_file.unlink(missing_ok=True)
        server = subprocess.Popen([NGINX, "-c", str(conf), "-p", str(work), "-g", "daemon off;"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        while server.poll() is None and not pid_file.exists():
            time.sleep(0.05)  # polls for a file; nothing is timed
        if server.poll() is None:
            return server, port
        log = work / "error.log"
        said = server.stderr.read().decode() + (log.read_text(errors="replace") if log.exists() else "")
        if "Address already in use" not in said:
            pytest.fail("nginx did not start: " + said)
    pytest.fail("nginx found no free port in five tries: " + said)


def _stop(server: subprocess.Popen) -> None:
    server.terminate()
    server.wait(timeout=10)
    server.stderr.close()


def test_nginx_starts_on_other_ports_when_one_was_taken_before_it_bound(tmp_path, monkeypatch):
    """Under pytest-xdist another worker may take a chosen port first: the server found must
    then be this nginx on new ports, not whatever holds the old one."""
    import ssl
    import urllib.request
    root = tmp_path / "site"
    root.mkdir()
    (root / "index.html").write_text("<!doctype html><title>t</title><p>this nginx</p>")
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = holder.getsockname()[1]
        first = [[_free_ports(1)[0], taken]]
        monkeypatch.setitem(globals(), "_free_ports", lambda count, real=_free_ports: first.pop() if first else real(count))
        server, port = _serve(root, tmp_path / "nginx")
        try:
            assert port != taken
            insecure = ssl.create_default_context()
            insecure.check_hostname, insecure.verify_mode = False, ssl.CERT_NONE
            with urllib.request.urlopen(f"https://127.0.0.1:{port}/", context=insecure, timeout=30) as response:
                assert b"this nginx" in response.read()
        finally:
            _stop(server)


@pytest.fixture(scope="module")
def nginx_site(sample_site, tmp_path_factory):
    server, port = _serve(sample_site.output, tmp_path_factory.mktemp("nginx"))
    yield f"https://127.0.0.1:{port}"
    _stop(server)


def _search_file(output: Path) -> str:
    names = sorted(p.name for p in (output / "search").glob("*.json") if p.name != "manifest.json")
    assert names, "the sample site has no search files"
    return "/search/" + names[0]


def test_pages_data_and_search_files_carry_every_security_header(nginx_site, sample_site, browser):
    context = browser.new_context(ignore_https_errors=True)
    try:
        paths = ["/", "/data/rulings.csv", "/search/manifest.json", _search_file(sample_site.output),
                 "/no-such-page/"]
        for path in paths:
            response = context.request.get(nginx_site + path)
            assert response.status == (404 if path == "/no-such-page/" else 200), path
            headers = {k.lower() for k in response.headers}
            missing = [h for h in SECURITY_HEADERS if h.lower() not in headers]
            assert not missing, f"{path} is served without {missing}"
        data = context.request.get(nginx_site + "/data/rulings.csv")
        assert data.headers.get("access-control-allow-origin") == "*"
        # content-hashed search files are cached for a year; the manifest that names them is not
        hashed = context.request.get(nginx_site + _search_file(sample_site.output))
        assert "immutable" in hashed.headers.get("cache-control", "")
        manifest = context.request.get(nginx_site + "/search/manifest.json")
        assert manifest.headers.get("cache-control") == "no-cache"
    finally:
        context.close()


def _violations(browser, url: str) -> list[str]:
    context = browser.new_context(ignore_https_errors=True)
    context.add_init_script("""
        window.__violations = [];
        document.addEventListener('securitypolicyviolation',
            e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));
    """)
    try:
        page = context.new_page()
        page.goto(url)
        page.wait_for_load_state("networkidle")
        return page.evaluate("window.__violations")
    finally:
        context.close()


def test_the_policy_check_sees_a_violation(tmp_path, browser):
    """The CSP test below is not vacuous: an inline script under the example's policy is one."""
    root = tmp_path / "site"
    root.mkdir()
    (root / "index.html").write_text("<!doctype html><title>t</title><script>document.title='x'</script>")
    server, port = _serve(root, tmp_path / "nginx")
    try:
        assert any(v.startswith("script-src") for v in _violations(browser, f"https://127.0.0.1:{port}/"))
    finally:
        _stop(server)


def test_the_site_runs_under_its_content_security_policy(nginx_site, sample_site, browser):
    """Home, a ruling, a member page and a search, through nginx: Chromium reports no CSP
    violation and no script error (an inline script or a foreign font would be one)."""
    context = browser.new_context(ignore_https_errors=True, viewport={"width": 360, "height": 800})
    context.add_init_script("""
        window.__violations = [];
        document.addEventListener('securitypolicyviolation',
            e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));
    """)
    page = context.new_page()
    console, errors = [], []
    page.on("console", lambda message: console.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    ruling = next(p for p in sorted((sample_site.output / "rulings").iterdir()) if (p / "index.html").exists())
    member = next(p for p in sorted((sample_site.output / "members").rglob("index.html"))
                  if p.parent.parent != sample_site.output / "members")
    try:
        for path in ["/", f"/rulings/{ruling.name}/", "/" + str(member.parent.relative_to(sample_site.output)) + "/",
                     "/search/?q=%D8%A8%D9%86%D8%A7"]:
            response = page.goto(nginx_site + path)
            assert response.status == 200, path
            assert "Content-Security-Policy" in {k.title() for k in response.headers} or \
                "content-security-policy" in response.headers
            page.wait_for_load_state("networkidle")
            violations = page.evaluate("window.__violations")
            assert violations == [], f"{path}: {violations}"
        assert not errors, errors
        assert not [m for m in console if "Content Security Policy" in m], console
    finally:
        context.close()
