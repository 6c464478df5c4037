//! Sources and outputs on object stores, against real servers on loopback that the tests start
//! and stop: moto's S3 server and Azurite's blob server (`bash scripts/install-test-deps.sh`
//! installs both; GCS's fake-gcs-server is started in `gcs.rs`). Without a server the test is
//! skipped with a message, except under CI (`CI` set), where it fails.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use factorscore::storage::{connect, parse_url, StorageConfig, Store};

use crate::cli::{bin, run_ok, transcript};

/// A secret the tests give as the S3 secret key; it must appear in no output.
const SECRET: &str = "Sup3rS3cretValue-never-print-me";
/// Azurite's well-known development account key.
const AZURITE_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/// A server process on a loopback port, killed on drop.
pub(crate) struct Server {
    child: Child,
    pub(crate) port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `None` (a skipped test) when the server is not installed, outside CI.
pub(crate) fn missing<T>(what: &str) -> Option<T> {
    if std::env::var_os("CI").is_some() {
        panic!("{what} is not installed: run `bash scripts/install-test-deps.sh`");
    }
    eprintln!("SKIPPED: {what} is not installed; run `bash scripts/install-test-deps.sh`");
    None
}

pub(crate) fn start(program: &Path, args: &[String], what: &str) -> Option<Server> {
    let port: u16 = args
        .iter()
        .find_map(|a| a.parse().ok())
        .expect("a port argument");
    let dir = tempfile::tempdir().unwrap();
    let child = match Command::new(program)
        .args(args)
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
    {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return missing(what),
        Err(e) => panic!("cannot start {what}: {e}"),
    };
    let server = Server {
        child,
        port,
        _dir: dir,
    };
    let t = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "{what} did not start on port {port}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    Some(server)
}

fn moto() -> Option<Server> {
    let port = free_port();
    start(
        Path::new("moto_server"),
        &[
            "-H".into(),
            "127.0.0.1".into(),
            "-p".into(),
            port.to_string(),
        ],
        "moto_server (moto[server] from PyPI)",
    )
}

fn azurite() -> Option<Server> {
    let bin =
        Path::new(env!("CARGO_MANIFEST_DIR")).join(".test-tools/node_modules/.bin/azurite-blob");
    if !bin.exists() {
        return missing("Azurite (azurite-blob from npm, in .test-tools/)");
    }
    let port = free_port();
    start(
        &bin,
        &[
            "--blobHost".into(),
            "127.0.0.1".into(),
            "--blobPort".into(),
            port.to_string(),
            "--inMemoryPersistence".into(),
            "--skipApiVersionCheck".into(),
            "--silent".into(),
        ],
        "Azurite",
    )
}

/// One HTTP/1.1 request with no body; returns the status.
fn http(port: u16, method: &str, path: &str) -> u16 {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut line = String::new();
    BufReader::new(s).read_line(&mut line).unwrap();
    line.split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

/// Creates an Azurite container, signed with the development account's shared key.
fn azure_container(port: u16, name: &str) {
    let out = Command::new("python3")
        .arg("-c")
        .arg(
            r#"
import hmac, hashlib, base64, datetime, http.client, sys
port, container, key = int(sys.argv[1]), sys.argv[2], base64.b64decode(sys.argv[3])
acct, ver = 'devstoreaccount1', '2021-08-06'
date = datetime.datetime.now(datetime.timezone.utc).strftime('%a, %d %b %Y %H:%M:%S GMT')
sts = 'PUT\n' + '\n' * 11 + f'x-ms-date:{date}\nx-ms-version:{ver}\n/{acct}/{acct}/{container}\nrestype:container'
sig = base64.b64encode(hmac.new(key, sts.encode(), hashlib.sha256).digest()).decode()
c = http.client.HTTPConnection('127.0.0.1', port)
c.request('PUT', f'/{acct}/{container}?restype=container', headers={'x-ms-date': date, 'x-ms-version': ver, 'Authorization': f'SharedKey {acct}:{sig}', 'Content-Length': '0'})
print(c.getresponse().status)
"#,
        )
        .arg(port.to_string())
        .arg(name)
        .arg(AZURITE_KEY)
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "201",
        "{out:?}"
    );
}

/// The environment a command reaches moto's S3 on `port` with (the same client as
/// [`s3_options`], as a user's shell would give it).
fn s3_env(port: u16) -> [(&'static str, String); 5] {
    [
        ("AWS_ENDPOINT", format!("http://127.0.0.1:{port}")),
        ("AWS_ALLOW_HTTP", "true".into()),
        ("AWS_ACCESS_KEY_ID", "testing".into()),
        ("AWS_SECRET_ACCESS_KEY", SECRET.into()),
        ("AWS_REGION", "us-east-1".into()),
    ]
}

fn s3_options(port: u16) -> Vec<(String, String)> {
    vec![
        ("aws_endpoint".into(), format!("http://127.0.0.1:{port}")),
        ("aws_allow_http".into(), "true".into()),
        ("aws_region".into(), "us-east-1".into()),
        ("aws_access_key_id".into(), "testing".into()),
        ("aws_secret_access_key".into(), SECRET.into()),
    ]
}

fn azure_options() -> Vec<(String, String)> {
    vec![
        ("azure_storage_use_emulator".into(), "true".into()),
        (
            "azure_storage_account_name".into(),
            "devstoreaccount1".into(),
        ),
        ("azure_storage_account_key".into(), AZURITE_KEY.into()),
    ]
}

pub(crate) fn store(url: &str, options: &[(String, String)]) -> Store {
    let cfg = StorageConfig {
        options: options.to_vec(),
        retries: 1,
        ..StorageConfig::default()
    };
    connect(&parse_url(url).unwrap(), &cfg).unwrap()
}

/// Uploads every file of `dir` under `prefix` of the store.
pub(crate) fn upload(s: &Store, dir: &Path, prefix: &str) {
    let mut objects = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        objects.push((
            format!("{prefix}/{name}"),
            bytes::Bytes::from(std::fs::read(&p).unwrap()),
        ));
    }
    s.put_all(objects).unwrap();
}

/// Every object under `prefix`, by key relative to it, with its bytes.
pub(crate) fn download(s: &Store, prefix: &str) -> BTreeMap<String, Vec<u8>> {
    s.list(prefix)
        .unwrap()
        .into_iter()
        .map(|k| {
            let b = s.get(&k).unwrap().unwrap().to_vec();
            (k[prefix.len() + 1..].to_string(), b)
        })
        .collect()
}

/// Every Parquet file of a local output folder (through its table links), by relative path.
pub(crate) fn local_parquet(out: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, acc: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, acc);
            } else if p.extension().is_some_and(|x| x == "parquet") {
                let rel = p.strip_prefix(root).unwrap().to_string_lossy().to_string();
                acc.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    let mut acc = BTreeMap::new();
    for t in factorscore::outputs::OutputTable::ALL {
        if out.join(t.name()).exists() {
            walk(out, &out.join(t.name()), &mut acc);
        }
    }
    acc
}

/// The report of the local output `local`, as a report of the same tables under `url` must
/// read: the same page but for the source it names.
pub(crate) fn local_report_as(local: &Path, url: &str, dir: &Path) -> String {
    let o = bin().arg("report").arg(local).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", transcript(&o, dir));
    std::fs::read_to_string(local.join("report.html"))
        .unwrap()
        .replace(&local.display().to_string(), url)
}

/// A copy of pipeline `src` with each source's `path` under `base` (a URL), the output at
/// `out`, and a `storage` block with `options` and `extra` lines.
pub(crate) fn remote_pipeline(
    src: &Path,
    base: &str,
    out: &str,
    options: &[(String, String)],
    extra: &str,
    dest: &Path,
) -> PathBuf {
    let text = std::fs::read_to_string(src).unwrap();
    let mut yaml = String::new();
    let mut in_output = false;
    for line in text.lines() {
        if line.starts_with("output:") {
            in_output = true;
            yaml.push_str(&format!("output:\n  path: {out}\n"));
            continue;
        }
        if in_output && line.trim_start().starts_with("path:") {
            continue;
        }
        if !line.starts_with(' ') && !line.starts_with('#') && !line.is_empty() {
            in_output = line.starts_with("output:");
        }
        // `{ path: ../sample_data/invoices.csv, ... }` or `{ path: input/fees.csv }`
        let line = match line.find("path: ") {
            Some(i) if !in_output => {
                let rest = &line[i + 6..];
                let end = rest.find([',', ' ', '}']).unwrap_or(rest.len());
                let name = Path::new(&rest[..end])
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .to_string();
                format!("{}path: {base}/{name}{}", &line[..i], &rest[end..])
            }
            _ => line.to_string(),
        };
        yaml.push_str(&line);
        yaml.push('\n');
    }
    yaml.push_str("storage:\n  options:\n");
    for (k, v) in options {
        let v = v.replace('\\', "\\\\").replace('"', "\\\"");
        yaml.push_str(&format!("    {k}: \"{v}\"\n"));
    }
    yaml.push_str(extra);
    let p = dest.join("pipeline.yaml");
    std::fs::write(&p, yaml).unwrap();
    p
}

/// Runs the binary with `env`; returns its output.
pub(crate) fn run_env(pipeline: &Path, env: &[(&str, String)]) -> std::process::Output {
    let mut c = bin();
    c.arg("run").arg(pipeline);
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

pub(crate) fn assert_no_secret(what: &str, text: &[u8], secret: &str) {
    let t = String::from_utf8_lossy(text);
    assert!(!t.contains(secret), "the secret appears in {what}:\n{t}");
}

/// The same sample pipeline, its 12 sources read from moto's S3 and its tables written back,
/// gives byte for byte the Parquet files of the local run; the secret key appears nowhere.
#[test]
fn s3_run_matches_the_local_run() {
    let Some(server) = moto() else { return };
    let port = server.port;
    assert_eq!(http(port, "PUT", "/books"), 200);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let opts = s3_options(port);
    let s = store("s3://books", &opts);
    upload(&s, &root.join("sample_data"), "sample");
    let tmp = tempfile::tempdir().unwrap();
    let pipeline = remote_pipeline(
        &root.join("pipelines/monthly.yaml"),
        "s3://books/sample",
        "s3://books/out",
        &opts,
        "  retries: 2\n  timeout_secs: 30\n",
        tmp.path(),
    );
    // A glob on the object store: one listing of `sample/`.
    let yaml = std::fs::read_to_string(&pipeline).unwrap().replace(
        "s3://books/sample/invoices.csv",
        "\"s3://books/sample/invoice*.csv\"",
    );
    std::fs::write(&pipeline, yaml).unwrap();
    let o = run_env(&pipeline, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", transcript(&o, tmp.path()));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("under s3://books/out"), "{stdout}");

    let local = tmp.path().join("local");
    run_ok(&root.join("pipelines/monthly.yaml"), &[], &local);
    let want = local_parquet(&local);
    let got = download(&s, "out");
    let got_parquet: BTreeMap<_, _> = got
        .iter()
        .filter(|(k, _)| k.ends_with(".parquet"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    assert_eq!(
        got_parquet.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>()
    );
    assert_eq!(want.len(), 34 * 3 + 1);
    for (k, v) in &want {
        assert!(got_parquet[k] == *v, "{k} differs from the local run's");
    }
    // DuckDB reads the same figures from the objects as from the local folder.
    let fetched = tmp.path().join("fetched");
    for (k, v) in &got_parquet {
        let f = fetched.join(k);
        std::fs::create_dir_all(f.parent().unwrap()).unwrap();
        std::fs::write(f, v).unwrap();
    }
    let q = "select count(*), sum(outstanding), sum(funded_volume), round(avg(composite_score), 9), count(distinct period)";
    let figures = |dir: &Path| {
        crate::duckdb::duckdb(&format!(
            "print(duckdb.sql(\"{q} from read_parquet('{}/scorecards/**/*.parquet', hive_partitioning = true)\").fetchone())",
            dir.display()
        ))
    };
    let (remote_figures, local_figures) = (figures(&fetched), figures(&local));
    assert_eq!(remote_figures, local_figures);
    assert!(remote_figures.starts_with("(1808, "), "{remote_figures}");
    // The manifests name the same inputs with the same fingerprints and rows.
    let manifest: serde_json::Value = serde_json::from_slice(&got["_manifest.json"]).unwrap();
    let local_manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(local.join("_manifest.json")).unwrap()).unwrap();
    let inputs = |m: &serde_json::Value| -> Vec<(String, String)> {
        m["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|t| t["files"].as_array().cloned().unwrap_or_default())
            .map(|f| {
                let p = f["path"].as_str().unwrap().to_string();
                let name = p.rsplit('/').next().unwrap().to_string();
                (name, f["xxh3"].to_string())
            })
            .collect()
    };
    assert_eq!(inputs(&manifest), inputs(&local_manifest));
    assert!(
        manifest
            .to_string()
            .contains("s3://books/sample/invoices.csv"),
        "{manifest}"
    );
    assert_eq!(manifest["rows_written"], local_manifest["rows_written"]);
    // The secret is in no output, no manifest and no run record.
    assert_no_secret("stdout", &o.stdout, SECRET);
    assert_no_secret("stderr", &o.stderr, SECRET);
    for (k, v) in &got {
        if k.ends_with(".json") {
            assert_no_secret(k, v, SECRET);
        }
    }
    assert!(got.keys().any(|k| k.starts_with("_runs/")));
    assert!(
        !got.contains_key("_pending"),
        "a finished run removes its marker"
    );
    assert_eq!(manifest["partitions"], local_manifest["partitions"]);

    // The same run again reads the inputs, finds them and the pipeline unchanged, and writes
    // nothing; `--force` runs it.
    let o = run_env(&pipeline, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", transcript(&o, tmp.path()));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("nothing to do"), "{stdout}");
    assert_eq!(download(&s, "out"), got, "a no-op run wrote something");
    let o = bin()
        .args(["run", "--force"])
        .arg(&pipeline)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", transcript(&o, tmp.path()));
    // `runs` lists the prefix's records, credentials from the environment.
    let o = bin()
        .args(["runs", "s3://books/out"])
        .envs(s3_env(port))
        .output()
        .unwrap();
    let listing = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{}", transcript(&o, tmp.path()));
    assert_eq!(listing.lines().count(), 2, "{listing}");
    assert!(
        listing.lines().all(|l| l.contains("  succeeded  month ")),
        "{listing}"
    );
}

/// Object-store option keys and values.
type Options = Vec<(String, String)>;

/// moto's server with a bucket `books` holding the worked example's inputs under `we/`: the
/// server, the client options, a client and the fixture's folder.
fn moto_with_worked_example() -> Option<(Server, Options, Store, PathBuf)> {
    let server = moto()?;
    assert_eq!(http(server.port, "PUT", "/books"), 200);
    let opts = s3_options(server.port);
    let s = store("s3://books", &opts);
    let we = crate::common::fixture("worked_example");
    upload(&s, &we.join("input"), "we");
    Some((server, opts, s, we))
}

/// A TCP proxy in front of a server that forwards the first `allow` PUTs and answers every
/// later one with 503, and forwards every other request; one request per connection.
struct FailingPuts {
    port: u16,
}

fn failing_puts(upstream: u16, allow: usize) -> FailingPuts {
    let puts = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(conn) = conn else { continue };
            let puts = puts.clone();
            std::thread::spawn(move || {
                let _ = proxy_one(conn, upstream, &puts, allow);
            });
        }
    });
    FailingPuts { port }
}

fn proxy_one(
    mut client: TcpStream,
    upstream: u16,
    puts: &std::sync::atomic::AtomicUsize,
    allow: usize,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(client.try_clone()?);
    let Some((head, body)) = read_request(&mut reader)? else {
        return Ok(());
    };
    if head.first().is_some_and(|l| l.starts_with("PUT "))
        && puts.fetch_add(1, std::sync::atomic::Ordering::SeqCst) >= allow
    {
        client.write_all(
            b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        )?;
        return Ok(());
    }
    client.write_all(&forward(upstream, &head, &body)?)
}

/// An HTTP/1.1 request: its request line and header lines as read (but `Connection`), and its
/// body.
pub(crate) type Request = (Vec<String>, Vec<u8>);

/// Reads one request, its body by `Content-Length`; `None` when the client closed the
/// connection first.
pub(crate) fn read_request(reader: &mut impl BufRead) -> std::io::Result<Option<Request>> {
    let mut head = Vec::new();
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(None);
        }
        if line == "\r\n" {
            break;
        }
        let lower = line.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0);
        }
        if !lower.starts_with("connection:") {
            head.push(line);
        }
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body)?;
    Ok(Some((head, body)))
}

/// Sends a request to the server on `upstream`, one connection for it; returns the whole
/// response.
pub(crate) fn forward(upstream: u16, head: &[String], body: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut up = TcpStream::connect(("127.0.0.1", upstream))?;
    // The request in one write: a server that answers from the head alone and closes must not
    // see the body arrive after it closed (its kernel would reset the connection).
    let mut request = head.concat().into_bytes();
    request.extend_from_slice(b"Connection: close\r\n\r\n");
    request.extend_from_slice(body);
    up.write_all(&request)?;
    let mut response = Vec::new();
    match up.read_to_end(&mut response) {
        // A reset after the answer was read: the answer is the response.
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset && !response.is_empty() => {}
        r => {
            r?;
        }
    }
    Ok(response)
}

/// A run whose PUTs fail retries them (shown on stderr), then fails cleanly, naming the object
/// and not the secret, and the previous outputs are as they were. A successful re-run replaces
/// the partitions it computes whole (a stray object in one is deleted) and leaves the others.
#[test]
fn s3_failure_mid_run_leaves_the_previous_outputs() {
    let Some((server, opts, s, we)) = moto_with_worked_example() else {
        return;
    };
    let port = server.port;
    let stray_in = "out/scorecards/grain=month/period=2024-01/stray.parquet";
    let stray_out = "out/scorecards/grain=month/period=2023-12/part-0.parquet";
    s.put_all(vec![
        (stray_in.into(), bytes::Bytes::from_static(b"old")),
        (stray_out.into(), bytes::Bytes::from_static(b"older")),
    ])
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let pipeline = remote_pipeline(
        &we.join("pipeline.yaml"),
        "s3://books/we",
        "s3://books/out",
        &opts,
        "  retries: 2\n",
        tmp.path(),
    );
    let o = run_env(&pipeline, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", transcript(&o, tmp.path()));
    let before = download(&s, "out");
    assert!(!before.contains_key("scorecards/grain=month/period=2024-01/stray.parquet"));
    assert_eq!(
        before["scorecards/grain=month/period=2023-12/part-0.parquet"],
        b"older"
    );
    assert!(before.contains_key("scorecards/grain=month/period=2024-02/part-0.parquet"));

    // The same run through a proxy that fails every PUT.
    let proxy = failing_puts(port, 0);
    let failing = tmp.path().join("failing");
    std::fs::create_dir_all(&failing).unwrap();
    let mut bad_opts = opts.clone();
    bad_opts[0].1 = format!("http://127.0.0.1:{}", proxy.port);
    let pipeline = remote_pipeline(
        &we.join("pipeline.yaml"),
        "s3://books/we",
        "s3://books/out",
        &bad_opts,
        "  retries: 2\n",
        &failing,
    );
    let o = run_env(&pipeline, &[]);
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert_eq!(o.status.code(), Some(2), "{}", transcript(&o, tmp.path()));
    assert!(
        err.contains("storage: ") && err.contains("retry 2 of 2"),
        "{err}"
    );
    assert!(err.contains("error: run of"), "{err}");
    assert!(err.contains("cannot write s3://books/out/"), "{err}");
    assert!(err.contains("503"), "{err}");
    assert_no_secret("stderr", &o.stderr, SECRET);
    assert_no_secret("stdout", &o.stdout, SECRET);
    assert_eq!(
        download(&s, "out"),
        before,
        "the failed run changed the outputs"
    );

    // A server that is gone (nothing listens on the port), with the secret in the environment
    // rather than in the pipeline: the reads are retried, the run fails naming the object.
    let gone = free_port();
    let mut env_opts: Vec<(String, String)> = opts
        .iter()
        .filter(|(k, _)| k != "aws_secret_access_key")
        .cloned()
        .collect();
    env_opts[0].1 = format!("http://127.0.0.1:{gone}");
    let dir = tmp.path().join("gone");
    std::fs::create_dir_all(&dir).unwrap();
    let pipeline = remote_pipeline(
        &we.join("pipeline.yaml"),
        "s3://books/we",
        "s3://books/out",
        &env_opts,
        "  retries: 1\n  connect_timeout_secs: 2\n",
        &dir,
    );
    const ENV_SECRET: &str = "EnvS3cretValue-also-never-printed";
    let o = run_env(&pipeline, &[("AWS_SECRET_ACCESS_KEY", ENV_SECRET.into())]);
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert_eq!(o.status.code(), Some(2), "{}", transcript(&o, tmp.path()));
    assert!(err.contains("retry 1 of 1"), "{err}");
    // The output is opened first (its last manifest read), as a local run takes its lock first.
    assert!(
        err.contains("cannot read s3://books/out/_manifest.json"),
        "{err}"
    );
    assert_no_secret("stderr", &o.stderr, ENV_SECRET);
    assert_no_secret("stdout", &o.stdout, ENV_SECRET);
    assert_eq!(download(&s, "out"), before);

    // A source object that is not there is bad input, not an outage: exit 1, no retry.
    let dir = tmp.path().join("missing");
    std::fs::create_dir_all(&dir).unwrap();
    let pipeline = remote_pipeline(
        &we.join("pipeline.yaml"),
        "s3://books/nowhere",
        "s3://books/out",
        &opts,
        "",
        &dir,
    );
    let o = run_env(&pipeline, &[]);
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert_eq!(o.status.code(), Some(1), "{}", transcript(&o, tmp.path()));
    // The sources are read in the order of the checks, the people first.
    assert!(err.contains("s3://books/nowhere/employees.csv"), "{err}");
    assert!(!err.contains("retry"), "{err}");
    // The tables and the manifest are as they were; the failed run left its record.
    let mut after = download(&s, "out");
    let records: Vec<String> = after
        .keys()
        .filter(|k| k.starts_with("_runs/") && !before.contains_key(*k))
        .cloned()
        .collect();
    assert_eq!(records.len(), 1, "{records:?}");
    let record: serde_json::Value =
        serde_json::from_slice(&after.remove(&records[0]).unwrap()).unwrap();
    assert_eq!(record["outcome"], "failed");
    assert!(after == before, "the failed run changed the outputs");
}

/// The worked example read from Azurite and written back gives the local run's files.
#[test]
fn azure_run_matches_the_local_run() {
    let Some(server) = azurite() else { return };
    let port = server.port;
    azure_container(port, "books");
    let env = [(
        "AZURITE_BLOB_STORAGE_URL",
        format!("http://127.0.0.1:{port}"),
    )];
    // The client reads the emulator's address from the environment; so does the test's.
    std::env::set_var(env[0].0, &env[0].1);
    let opts = azure_options();
    let s = store("az://books", &opts);
    let we = crate::common::fixture("worked_example");
    upload(&s, &we.join("input"), "we");
    let tmp = tempfile::tempdir().unwrap();
    let pipeline = remote_pipeline(
        &we.join("pipeline.yaml"),
        "az://books/we",
        "az://books/out",
        &opts,
        "",
        tmp.path(),
    );
    let o = run_env(&pipeline, &env);
    assert_eq!(o.status.code(), Some(0), "{}", transcript(&o, tmp.path()));
    let local = tmp.path().join("local");
    run_ok(&we.join("pipeline.yaml"), &[], &local);
    let want = local_parquet(&local);
    let got: BTreeMap<_, _> = download(&s, "out")
        .into_iter()
        .filter(|(k, _)| k.ends_with(".parquet"))
        .collect();
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>()
    );
    assert!(
        got == want,
        "the Azure run's files differ from the local run's"
    );
    assert_no_secret("stderr", &o.stderr, AZURITE_KEY);
    assert_no_secret("stdout", &o.stdout, AZURITE_KEY);
    // `report az://…` reads the container's tables as a folder, credentials from the
    // environment: the local run's page but for the source it names.
    let page = local_report_as(&local, "az://books/out", tmp.path());
    let o = bin()
        .args(["report", "az://books/out"])
        .env(env[0].0, &env[0].1)
        .env("AZURE_STORAGE_USE_EMULATOR", "true")
        .env("AZURE_STORAGE_ACCOUNT_NAME", "devstoreaccount1")
        .env("AZURE_STORAGE_ACCOUNT_KEY", AZURITE_KEY)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", transcript(&o, tmp.path()));
    let said = String::from_utf8_lossy(&o.stdout);
    assert!(
        said.starts_with("wrote az://books/out/report.html "),
        "{said}"
    );
    let put = String::from_utf8(download(&s, "out")["report.html"].clone()).unwrap();
    assert!(
        put == page,
        "the page from Azure differs from the local one"
    );
    assert_no_secret("stderr", &o.stderr, AZURITE_KEY);
}

/// A run that fails after some of its PUTs leaves each partition whole: the old object or the
/// new one, never a mix, and the previous manifest.
#[test]
fn s3_run_failing_part_way_leaves_each_partition_old_or_new() {
    let Some((server, opts, s, we)) = moto_with_worked_example() else {
        return;
    };
    let port = server.port;
    let tmp = tempfile::tempdir().unwrap();
    let local = tmp.path().join("local");
    run_ok(&we.join("pipeline.yaml"), &[], &local);
    let new = local_parquet(&local);
    // The previous output: an object at every partition the run writes, and a manifest.
    let old: BTreeMap<String, Vec<u8>> = new
        .keys()
        .map(|k| (k.clone(), format!("old {k}").into_bytes()))
        .chain([("_manifest.json".to_string(), b"{}".to_vec())])
        .collect();
    s.put_all(
        old.iter()
            .map(|(k, v)| (format!("out/{k}"), bytes::Bytes::from(v.clone())))
            .collect(),
    )
    .unwrap();
    let allow = 3;
    let proxy = failing_puts(port, allow);
    let mut bad_opts = opts.clone();
    bad_opts[0].1 = format!("http://127.0.0.1:{}", proxy.port);
    let pipeline = remote_pipeline(
        &we.join("pipeline.yaml"),
        "s3://books/we",
        "s3://books/out",
        &bad_opts,
        "  retries: 1\n",
        tmp.path(),
    );
    let o = run_env(&pipeline, &[]);
    assert_eq!(o.status.code(), Some(2), "{}", transcript(&o, tmp.path()));
    let mut got = download(&s, "out");
    // The first PUT is the pending marker, naming the run: it stays, so the next run knows the
    // manifest may not describe the tables.
    let pending = got.remove("_pending").expect("the pending marker stays");
    let pending = String::from_utf8_lossy(&pending).to_string();
    assert!(
        pending.len() > 20 && pending.contains('T') && pending.contains("Z-"),
        "{pending} is not a run id"
    );
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        old.keys().collect::<Vec<_>>()
    );
    let mut replaced = 0;
    for (k, v) in &got {
        if k.ends_with(".parquet") && *v == new[k] {
            replaced += 1;
        } else {
            assert_eq!(*v, old[k], "{k} is neither the old object nor the new one");
        }
    }
    assert_eq!(
        replaced,
        allow - 1,
        "the PUTs that went through (after the marker) replaced whole objects"
    );
    assert_eq!(got["_manifest.json"], b"{}", "the manifest is written last");
}

/// URLs and storage options are checked before anything is read, and no message repeats a
/// credential, whether in a URL or in the options.
#[test]
fn bad_urls_and_storage_options_are_refused_without_echoing_secrets() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("pipeline.yaml");
    let mut yaml = String::from(
        "name: bad\nbase_currency: CNY\ntimezone: Asia/Shanghai\nsources:\n  invoices: { path: \"ftp://x/invoices.csv\" }\n  collections: { path: \"s3://AKIA:hunter2secret@b/c.csv\" }\n",
    );
    for t in [
        "write_offs",
        "fees",
        "applications",
        "assignments",
        "employees",
        "org_history",
        "fx_rates",
    ] {
        yaml.push_str(&format!("  {t}: {{ path: s3://b/{t}.csv }}\n"));
    }
    yaml.push_str("output: { path: \"s3:///out\" }\nstorage:\n  options: { aws_endpointt: \"http://x\", aws_secret_access_key: hunter2secret }\n  retries: 1000\n  timeout_secs: 0\n");
    std::fs::write(&p, yaml).unwrap();
    let o = bin().arg("validate").arg(&p).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    for want in [
        "6 errors in the pipeline",
        "sources.invoices.path: the scheme `ftp://` is not supported",
        "sources.collections.path: a URL must not hold credentials",
        "output.path: the URL names no bucket",
        "storage.options.aws_endpointt: `aws_endpointt` is not an object_store option",
        "storage.retries: 1000 retries is too many",
        "storage.timeout_secs: 0 seconds is out of range",
    ] {
        assert!(err.contains(want), "{want}\n{err}");
    }
    assert_no_secret("stderr", &o.stderr, "hunter2secret");
}

/// On S3 as locally, a re-run is skipped as unchanged only while the partitions it wrote hold
/// exactly its files: an object put beside one by hand makes it run, and the run deletes it.
#[test]
fn s3_a_stray_object_makes_an_unchanged_rerun_run() {
    let Some((_server, opts, s, we)) = moto_with_worked_example() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let pipeline = remote_pipeline(
        &we.join("pipeline.yaml"),
        "s3://books/we",
        "s3://books/out",
        &opts,
        "",
        tmp.path(),
    );
    let said = |o: &std::process::Output| {
        assert_eq!(o.status.code(), Some(0), "{}", transcript(o, tmp.path()));
        String::from_utf8_lossy(&o.stdout).to_string()
    };
    said(&run_env(&pipeline, &[]));
    let written = download(&s, "out");
    assert!(said(&run_env(&pipeline, &[])).starts_with("nothing to do: run "));
    for stray in [
        "out/scorecards/grain=month/period=2024-01/stray.parquet",
        "out/rejects/old/part-0.parquet",
    ] {
        s.put_all(vec![(stray.into(), bytes::Bytes::from_static(b"stray"))])
            .unwrap();
        let o = said(&run_env(&pipeline, &[]));
        assert!(o.starts_with("wrote 6 scorecard"), "{stray}: {o}");
        let after = download(&s, "out");
        assert!(!after.contains_key(&stray["out/".len()..]), "{stray}");
        let parquet = |m: &BTreeMap<String, Vec<u8>>| -> Vec<String> {
            m.keys().filter(|k| !k.starts_with('_')).cloned().collect()
        };
        assert_eq!(parquet(&after), parquet(&written), "{stray}");
        assert!(said(&run_env(&pipeline, &[])).starts_with("nothing to do: run "));
    }
}

/// `report s3://…` reads the committed tables of a prefix as it reads a folder (credentials from
/// the environment, as `runs`): the page equals the local run's report but for the source it
/// names, and goes back under the prefix as `report.html`, or to `--html`.
#[test]
fn s3_report_reads_the_prefix_as_a_folder() {
    let Some((server, opts, s, we)) = moto_with_worked_example() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let pipeline = remote_pipeline(
        &we.join("pipeline.yaml"),
        "s3://books/we",
        "s3://books/out",
        &opts,
        "",
        tmp.path(),
    );
    let o = run_env(&pipeline, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", transcript(&o, tmp.path()));
    let local = tmp.path().join("local");
    run_ok(&we.join("pipeline.yaml"), &[], &local);
    let want = local_report_as(&local, "s3://books/out", tmp.path());
    let report = |extra: &[&str]| {
        let o = bin()
            .args(["report", "s3://books/out"])
            .args(extra)
            .envs(s3_env(server.port))
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", transcript(&o, tmp.path()));
        String::from_utf8_lossy(&o.stdout).to_string()
    };
    let said = report(&[]);
    assert!(
        said.starts_with("wrote s3://books/out/report.html "),
        "{said}"
    );
    let put = String::from_utf8(download(&s, "out")["report.html"].clone()).unwrap();
    assert!(put == want, "the page from S3 differs from the local one");
    let html = tmp.path().join("r.html");
    report(&["--html", html.to_str().unwrap()]);
    assert!(std::fs::read_to_string(&html).unwrap() == want);
}

/// `compare --out s3://…` commits `plan_comparison` and its page on the object store as a run
/// commits its tables (the pipeline's storage options): the local comparison's files, byte for
/// byte, and no pending marker left.
#[test]
fn s3_compare_writes_the_local_comparisons_files() {
    let Some(server) = moto() else { return };
    assert_eq!(http(server.port, "PUT", "/books"), 200);
    let opts = s3_options(server.port);
    let s = store("s3://books", &opts);
    let scoring = crate::common::fixture("scoring");
    upload(&s, &scoring.join("input"), "sc");
    let tmp = tempfile::tempdir().unwrap();
    let pipeline = remote_pipeline(
        &scoring.join("pipeline.yaml"),
        "s3://books/sc",
        "s3://books/out",
        &opts,
        "",
        tmp.path(),
    );
    let proposed = crate::common::fixture("compare/proposed.yaml");
    let compare = |pipeline: &Path, out: &str| {
        let o = bin()
            .arg("compare")
            .arg(pipeline)
            .arg("--plans")
            .arg(&proposed)
            .args(["--out", out])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", transcript(&o, tmp.path()));
    };
    compare(&pipeline, "s3://books/cmp");
    let local = tmp.path().join("local");
    compare(&scoring.join("pipeline.yaml"), local.to_str().unwrap());
    let want = local_parquet(&local);
    let got = download(&s, "cmp");
    let keys: Vec<&String> = got.keys().collect();
    assert_eq!(
        keys,
        [
            "plan_comparison.html",
            "plan_comparison/grain=month/period=2024-01/part-0.parquet",
            "plan_comparison/grain=month/period=2024-02/part-0.parquet",
        ]
    );
    for (k, v) in &want {
        assert!(got[k] == *v, "{k} differs from the local comparison's");
    }
    assert_eq!(want.len(), 2);
}

/// `shard --out s3://...` and `merge --partials s3://...` (issue 17): the parts in moto's S3
/// rather than on a shared folder; the merge writes run's tables, and a part missing from the
/// bucket is named.
#[test]
fn shards_keep_their_parts_in_s3_and_the_merge_reads_them_there() {
    let Some(server) = moto() else { return };
    assert_eq!(http(server.port, "PUT", "/parts"), 200);
    let tmp = crate::shard_merge::company_with(41, crate::property::PIPELINE);
    let dir = tmp.path();
    crate::shard_merge::ok(dir, &["run", "pipeline.yaml", "-q", "--out", "out-run"]);
    let with_s3 = |args: &[&str]| {
        bin()
            .current_dir(dir)
            .args(args)
            .envs(s3_env(server.port))
            .output()
            .unwrap()
    };
    let merge = [
        "merge",
        "pipeline.yaml",
        "--partials",
        "s3://parts/run1",
        "--count",
        "2",
    ];
    let shard = |k: &str| {
        let o = with_s3(&[
            "shard",
            "pipeline.yaml",
            "--index",
            k,
            "--count",
            "2",
            "--out",
            "s3://parts/run1",
            "-q",
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", transcript(&o, dir));
    };
    shard("0");
    let o = with_s3(&[&merge[..], &["--out", "out-merge", "-q"]].concat());
    insta::assert_snapshot!(transcript(&o, dir), @r"
    exit: 1
    --- stdout
    --- stderr
    error: merge of pipeline.yaml failed: part 1 of 2 is missing: run that part again, then merge
    ");
    shard("1");
    let o = with_s3(&[&merge[..], &["--out", "out-merge", "-q"]].concat());
    assert_eq!(o.status.code(), Some(0), "{}", transcript(&o, dir));
    crate::shard_merge::same_tables(dir, "out-run", "out-merge");
    let s = store("s3://parts", &s3_options(server.port));
    assert_eq!(
        s.list("run1").unwrap(),
        [
            "run1/part-00000-of-00002.fspart",
            "run1/part-00001-of-00002.fspart"
        ]
    );
}
