//! Where inputs and outputs live: a local path, or an object in S3 (`s3://bucket/key`), Google
//! Cloud Storage (`gs://bucket/key`) or Azure Blob Storage (`az://container/key`), reached through
//! the `object_store` crate.
//!
//! Credentials and endpoints come from the usual environment variables (`AWS_*`, `GOOGLE_*`,
//! `AZURE_*`, read by the `from_env` builders), overlaid with the pipeline's `storage.options`.
//! Option values are never printed: [`StorageConfig`]'s `Debug` hides them, and every message
//! the binary prints goes through [`redact`], which blanks any option value or credential
//! environment variable that would appear in it.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::azure::{AzureConfigKey, MicrosoftAzureBuilder};
use object_store::gcp::{GoogleCloudStorageBuilder, GoogleConfigKey};
use object_store::path::Path as ObjPath;
use object_store::{BackoffConfig, ClientConfigKey, ObjectStore, ObjectStoreExt, RetryConfig};

use crate::error::Error;

mod secrets;

use secrets::remember_secrets;
pub use secrets::{is_secret_name, redact};

/// An object store service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    S3,
    Gcs,
    Azure,
}

impl Scheme {
    pub fn prefix(self) -> &'static str {
        match self {
            Scheme::S3 => "s3",
            Scheme::Gcs => "gs",
            Scheme::Azure => "az",
        }
    }

    /// Whether `key` is an option of this service (or of the HTTP client all of them use).
    pub fn knows(self, key: &str) -> bool {
        match self {
            Scheme::S3 => AmazonS3ConfigKey::from_str(key).is_ok(),
            Scheme::Gcs => GoogleConfigKey::from_str(key).is_ok(),
            Scheme::Azure => AzureConfigKey::from_str(key).is_ok(),
        }
    }
}

/// An object-store URL: `s3://bucket/key`, `gs://bucket/key` or `az://container/key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjUrl {
    pub scheme: Scheme,
    pub bucket: String,
    /// The key (or key prefix, or glob) within the bucket, without a leading or trailing `/`.
    pub key: String,
}

impl ObjUrl {
    /// `s3://bucket/key`.
    pub fn show(&self, key: &str) -> String {
        if key.is_empty() {
            format!("{}://{}", self.scheme.prefix(), self.bucket)
        } else {
            format!("{}://{}/{}", self.scheme.prefix(), self.bucket, key)
        }
    }

    /// The key `rel` below this URL's key.
    pub fn join(&self, rel: &str) -> String {
        if self.key.is_empty() {
            rel.to_string()
        } else {
            format!("{}/{rel}", self.key)
        }
    }
}

impl std::fmt::Display for ObjUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.show(&self.key))
    }
}

/// Whether a path as written in a pipeline or on the command line is a URL.
pub fn is_url(s: &str) -> bool {
    s.contains("://")
}

/// Parses an object-store URL. The error says what is wrong without repeating the URL's
/// user part, where a credential could be.
pub fn parse_url(s: &str) -> Result<ObjUrl, String> {
    let Some((scheme, rest)) = s.split_once("://") else {
        return Err("not a URL".into());
    };
    let scheme = match scheme {
        "s3" | "s3a" => Scheme::S3,
        "gs" | "gcs" => Scheme::Gcs,
        "az" | "azure" | "abfs" | "abfss" => Scheme::Azure,
        other => {
            return Err(format!(
            "the scheme `{other}://` is not supported: use s3://, gs:// or az://, or a local path"
        ))
        }
    };
    let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.contains('@') {
        return Err(
            "a URL must not hold credentials: give them in the environment or in `storage.options`"
                .into(),
        );
    }
    if bucket.is_empty() {
        return Err("the URL names no bucket (or container)".into());
    }
    if key.contains('?') || key.contains('#') {
        return Err("the URL must not have a query or a fragment".into());
    }
    Ok(ObjUrl {
        scheme,
        bucket: bucket.to_string(),
        key: key.trim_matches('/').to_string(),
    })
}

/// How object stores are reached: the pipeline's `storage` block, checked.
#[derive(Clone, PartialEq, Eq)]
pub struct StorageConfig {
    /// `object_store` configuration keys and their values, overriding the environment.
    pub options: Vec<(String, String)>,
    /// Retries of a failed request (after the first try).
    pub retries: usize,
    /// Time limit of one request, from connecting to the last byte.
    pub timeout: Duration,
    pub connect_timeout: Duration,
    /// No retry starts this long after a request's first try.
    pub retry_timeout: Duration,
}

impl Default for StorageConfig {
    fn default() -> Self {
        StorageConfig {
            options: Vec::new(),
            retries: DEFAULT_RETRIES,
            timeout: Duration::from_secs(DEFAULT_TIMEOUT_SECS),
            connect_timeout: Duration::from_secs(DEFAULT_CONNECT_TIMEOUT_SECS),
            retry_timeout: Duration::from_secs(DEFAULT_RETRY_TIMEOUT_SECS),
        }
    }
}

pub const DEFAULT_RETRIES: usize = 5;
pub const DEFAULT_TIMEOUT_SECS: u64 = 60;
pub const DEFAULT_CONNECT_TIMEOUT_SECS: u64 = 10;
pub const DEFAULT_RETRY_TIMEOUT_SECS: u64 = 120;

impl std::fmt::Debug for StorageConfig {
    /// Option names only: a value may be a credential.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let keys: Vec<String> = self
            .options
            .iter()
            .map(|(k, _)| format!("{k}=<redacted>"))
            .collect();
        f.debug_struct("StorageConfig")
            .field("options", &keys)
            .field("retries", &self.retries)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("retry_timeout", &self.retry_timeout)
            .finish()
    }
}

/// The async runtime the object-store clients run on; the rest of the program is synchronous
/// and blocks on it.
fn runtime() -> Result<&'static tokio::runtime::Runtime, Error> {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    if let Some(rt) = RT.get() {
        return Ok(rt);
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("object-store")
        .enable_all()
        .build()
        .map_err(|source| Error::Io {
            what: "cannot start the runtime of the object-store clients".into(),
            source,
        })?;
    Ok(RT.get_or_init(|| rt))
}

/// Prints the object-store clients' retries on stderr: `storage: retry 1 of 5: ...`.
fn log_retries() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        let _ = tracing::subscriber::set_global_default(RetryLog);
    });
}

/// A `tracing` subscriber that prints the `object_store` crate's INFO events, which are its
/// retries, and nothing else.
struct RetryLog;

impl tracing::Subscriber for RetryLog {
    fn enabled(&self, m: &tracing::Metadata<'_>) -> bool {
        m.target().starts_with("object_store") && *m.level() <= tracing::Level::INFO
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, e: &tracing::Event<'_>) {
        struct Msg(String);
        impl tracing::field::Visit for Msg {
            fn record_debug(&mut self, f: &tracing::field::Field, v: &dyn std::fmt::Debug) {
                if f.name() == "message" {
                    self.0 = format!("{v:?}");
                }
            }
        }
        let mut m = Msg(String::new());
        e.record(&mut m);
        eprintln!("storage: {}", redact(&m.0));
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

/// A bucket (or container) reached with one client.
#[derive(Clone)]
pub struct Store {
    pub url: ObjUrl,
    os: Arc<dyn ObjectStore>,
}

fn storage_error(what: String) -> impl FnOnce(object_store::Error) -> Error {
    move |source| Error::Storage {
        what,
        detail: detail(&source),
        transient: !matches!(
            source,
            object_store::Error::NotFound { .. }
                | object_store::Error::PermissionDenied { .. }
                | object_store::Error::Unauthenticated { .. }
                | object_store::Error::InvalidPath { .. }
                | object_store::Error::NotSupported { .. }
                | object_store::Error::UnknownConfigurationKey { .. }
                | object_store::Error::NotImplemented { .. }
        ),
    }
}

/// A client that cannot be built from the environment and the options: a configuration error.
fn setup_error(what: String) -> impl FnOnce(object_store::Error) -> Error {
    move |source| Error::Storage {
        what,
        detail: detail(&source),
        transient: false,
    }
}

/// An object-store error and its causes on one line, each message once: the crate's messages
/// repeat their causes' text.
fn detail(e: &object_store::Error) -> String {
    let mut out = e.to_string();
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        let m = c.to_string();
        if !out.contains(&m) {
            out.push_str(": ");
            out.push_str(&m);
        }
        cause = c.source();
    }
    out
}

/// A client for the bucket of `url`, built from the environment and `cfg`; one per bucket and
/// configuration.
pub fn connect(url: &ObjUrl, cfg: &StorageConfig) -> Result<Store, Error> {
    type Key = (Scheme, String, String);
    static CLIENTS: OnceLock<Mutex<HashMap<Key, Arc<dyn ObjectStore>>>> = OnceLock::new();
    remember_secrets(cfg);
    log_retries();
    let id = (
        url.scheme,
        url.bucket.clone(),
        format!("{:?}", cfg_key(cfg)),
    );
    let clients = CLIENTS.get_or_init(|| Mutex::new(HashMap::new()));
    let mut clients = clients.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(os) = clients.get(&id) {
        return Ok(Store {
            url: url.clone(),
            os: os.clone(),
        });
    }
    // Set as configuration keys, not as `ClientOptions`, which would replace the client settings
    // the builders read from the environment (`AWS_ALLOW_HTTP`, proxies, ...).
    let timeouts = [
        (ClientConfigKey::Timeout, cfg.timeout),
        (ClientConfigKey::ConnectTimeout, cfg.connect_timeout),
    ]
    .map(|(k, d)| (k, format!("{}ms", d.as_millis())));
    let retry = RetryConfig {
        backoff: BackoffConfig {
            init_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(10),
            base: 2.0,
        },
        max_retries: cfg.retries,
        retry_timeout: cfg.retry_timeout,
    };
    let ours = |k: &str| url.scheme.knows(k);
    let what = format!("cannot set up the client for {}", url.show(""));
    let os: Arc<dyn ObjectStore> = match url.scheme {
        Scheme::S3 => {
            let mut b = AmazonS3Builder::from_env()
                .with_retry(retry)
                .with_bucket_name(&url.bucket);
            for (k, v) in &timeouts {
                b = b.with_config(AmazonS3ConfigKey::Client(*k), v);
            }
            for (k, v) in cfg.options.iter().filter(|(k, _)| ours(k)) {
                if let Ok(k) = AmazonS3ConfigKey::from_str(k) {
                    b = b.with_config(k, v);
                }
            }
            Arc::new(b.build().map_err(setup_error(what))?)
        }
        Scheme::Gcs => {
            let mut b = GoogleCloudStorageBuilder::from_env()
                .with_retry(retry)
                .with_bucket_name(&url.bucket);
            for (k, v) in &timeouts {
                b = b.with_config(GoogleConfigKey::Client(*k), v);
            }
            for (k, v) in cfg.options.iter().filter(|(k, _)| ours(k)) {
                if let Ok(k) = GoogleConfigKey::from_str(k) {
                    b = b.with_config(k, v);
                }
            }
            Arc::new(b.build().map_err(setup_error(what))?)
        }
        Scheme::Azure => {
            let mut b = MicrosoftAzureBuilder::from_env()
                .with_retry(retry)
                .with_container_name(&url.bucket);
            for (k, v) in &timeouts {
                b = b.with_config(AzureConfigKey::Client(*k), v);
            }
            for (k, v) in cfg.options.iter().filter(|(k, _)| ours(k)) {
                if let Ok(k) = AzureConfigKey::from_str(k) {
                    b = b.with_config(k, v);
                }
            }
            Arc::new(b.build().map_err(setup_error(what))?)
        }
    };
    clients.insert(id, os.clone());
    Ok(Store {
        url: url.clone(),
        os,
    })
}

/// What tells two configurations apart, as a cache key (values hashed, not kept in clear).
fn cfg_key(cfg: &StorageConfig) -> (Vec<(String, u64)>, usize, Duration, Duration, Duration) {
    (
        cfg.options
            .iter()
            .map(|(k, v)| (k.clone(), xxhash_rust::xxh3::xxh3_64(v.as_bytes())))
            .collect(),
        cfg.retries,
        cfg.timeout,
        cfg.connect_timeout,
        cfg.retry_timeout,
    )
}

/// The characters that make a key a glob.
const GLOB_CHARS: [char; 3] = ['*', '?', '['];

impl Store {
    /// The keys that `pattern` (a key or a glob of keys) names, in name order. A plain key is
    /// not listed: it is returned as it is, and reading it says whether it exists. A glob lists
    /// the folder before its first wildcard once and matches every key below it.
    pub fn resolve(&self, pattern: &str) -> Result<Vec<String>, Error> {
        let Some(at) = pattern.find(GLOB_CHARS) else {
            return Ok(vec![pattern.to_string()]);
        };
        let glob = glob::Pattern::new(pattern)
            .map_err(|e| Error::BadOption(format!("bad glob `{}`: {e}", self.url.show(pattern))))?;
        let dir = pattern[..at].rsplit_once('/').map_or("", |(d, _)| d);
        let prefix = (!dir.is_empty()).then(|| ObjPath::from(dir));
        let rt = runtime()?;
        let listed: Vec<object_store::ObjectMeta> = rt
            .block_on(self.os.list(prefix.as_ref()).try_collect())
            .map_err(storage_error(format!(
                "cannot list {}",
                self.url.show(&format!("{dir}/"))
            )))?;
        let opts = glob::MatchOptions {
            require_literal_separator: true,
            ..Default::default()
        };
        let mut keys: Vec<String> = listed
            .into_iter()
            .map(|m| m.location.to_string())
            .filter(|k| glob.matches_with(k, opts))
            .collect();
        keys.sort();
        Ok(keys)
    }

    /// The whole object at `key`; `Ok(None)` if there is none.
    pub fn get(&self, key: &str) -> Result<Option<Bytes>, Error> {
        let rt = runtime()?;
        let path = ObjPath::from(key);
        let got = rt.block_on(async {
            let r = self.os.get(&path).await?;
            r.bytes().await
        });
        match got {
            Ok(b) => Ok(Some(b)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(storage_error(format!("cannot read {}", self.url.show(key)))(e)),
        }
    }

    /// Writes every `(key, bytes)`, each with one PUT, several at a time.
    pub fn put_all(&self, objects: Vec<(String, Bytes)>) -> Result<(), Error> {
        let rt = runtime()?;
        let os = &self.os;
        rt.block_on(
            futures::stream::iter(objects.into_iter().map(|(key, bytes)| async move {
                let path = ObjPath::from(key.as_str());
                os.put(&path, bytes.into())
                    .await
                    .map(|_| ())
                    .map_err(storage_error(format!(
                        "cannot write {}",
                        self.url.show(&key)
                    )))
            }))
            .buffer_unordered(8)
            .try_collect::<Vec<()>>(),
        )?;
        Ok(())
    }

    /// Every key below folder `dir` (all levels).
    pub fn list(&self, dir: &str) -> Result<Vec<String>, Error> {
        Ok(self.list_sized(dir)?.into_iter().map(|(k, _)| k).collect())
    }

    /// Every object under `dir` with its size.
    pub fn list_sized(&self, dir: &str) -> Result<Vec<(String, u64)>, Error> {
        let rt = runtime()?;
        let prefix = ObjPath::from(dir);
        let listed: Vec<object_store::ObjectMeta> = rt
            .block_on(self.os.list(Some(&prefix)).try_collect())
            .map_err(storage_error(format!(
                "cannot list {}",
                self.url.show(&format!("{dir}/"))
            )))?;
        Ok(listed
            .into_iter()
            .map(|m| (m.location.to_string(), m.size))
            .collect())
    }

    /// Deletes the objects `keys`; one already gone is no error.
    pub fn delete_all(&self, keys: Vec<String>) -> Result<(), Error> {
        let rt = runtime()?;
        let os = &self.os;
        rt.block_on(
            futures::stream::iter(keys.into_iter().map(|key| async move {
                let path = ObjPath::from(key.as_str());
                match os.delete(&path).await {
                    Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
                    Err(e) => Err(storage_error(format!(
                        "cannot delete {}",
                        self.url.show(&key)
                    ))(e)),
                }
            }))
            .buffer_unordered(8)
            .try_collect::<Vec<()>>(),
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let u = parse_url("s3://bucket/a/b/").unwrap();
        assert_eq!(
            (u.scheme, u.bucket.as_str(), u.key.as_str()),
            (Scheme::S3, "bucket", "a/b")
        );
        assert_eq!(u.to_string(), "s3://bucket/a/b");
        assert_eq!(u.join("x.csv"), "a/b/x.csv");
        assert_eq!(parse_url("az://c").unwrap().key, "");
        assert!(parse_url("ftp://x/y").unwrap_err().contains("ftp://"));
        let e = parse_url("s3://AKIA:hunter2hunter2@bucket/k").unwrap_err();
        assert!(!e.contains("hunter2"), "{e}");
        assert!(parse_url("s3:///k").is_err());
    }

    #[test]
    fn debug_hides_option_values() {
        let cfg = StorageConfig {
            options: vec![
                ("aws_secret_access_key".into(), "s3cr3t-value-xyz".into()),
                ("aws_endpoint".into(), "http://127.0.0.1:9000".into()),
            ],
            ..StorageConfig::default()
        };
        let shown = format!("{cfg:?}");
        assert!(!shown.contains("s3cr3t"), "{shown}");
        assert!(shown.contains("aws_secret_access_key"), "{shown}");
        remember_secrets(&cfg);
        assert_eq!(redact("key s3cr3t-value-xyz!"), "key ***!");
        // An endpoint is no secret: messages show it.
        assert_eq!(redact("http://127.0.0.1:9000/b"), "http://127.0.0.1:9000/b");
        for k in [
            "aws_secret_access_key",
            "AWS_SESSION_TOKEN",
            "azure_storage_account_key",
            "azure_storage_sas_key",
            "google_service_account_key",
            "azure_client_secret",
        ] {
            assert!(is_secret_name(k), "{k}");
        }
        for k in [
            "aws_access_key_id",
            "aws_endpoint",
            "azure_storage_account_name",
            "aws_region",
        ] {
            assert!(!is_secret_name(k), "{k}");
        }
    }

    #[test]
    fn option_keys() {
        assert!(Scheme::S3.knows("aws_endpoint"));
        assert!(Scheme::S3.knows("timeout"));
        assert!(!Scheme::S3.knows("azure_storage_account_key"));
        assert!(Scheme::Azure.knows("azure_storage_account_key"));
        assert!(Scheme::Gcs.knows("google_service_account"));
    }
}
