//! Keeping credentials out of every message: the values to blank, and the blanking.

use std::sync::{Mutex, OnceLock};

use super::StorageConfig;

/// Values no message may show: every storage option value and credential environment
/// variable seen by [`connect`], longest first.
fn secrets() -> &'static Mutex<Vec<String>> {
    static S: OnceLock<Mutex<Vec<String>>> = OnceLock::new();
    S.get_or_init(|| Mutex::new(Vec::new()))
}

/// Whether an option key or environment variable names a credential (a key, a secret, a
/// token, a SAS signature, a password or a service account), rather than an endpoint, a
/// region or a switch. Key ids and account names are not secrets.
pub fn is_secret_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    let id = n.ends_with("_id") || n.ends_with("account_name") || n.ends_with("account");
    let secret = [
        "secret",
        "key",
        "token",
        "sas",
        "sig",
        "password",
        "credential",
        "service_account",
        "session",
    ]
    .iter()
    .any(|w| n.contains(w));
    secret && !id
}

/// Notes the credential values of `cfg` and of the environment, so [`redact`] blanks them.
pub(super) fn remember_secrets(cfg: &StorageConfig) {
    let mut s = secrets().lock().unwrap_or_else(|e| e.into_inner());
    let env = std::env::vars().filter(|(k, _)| {
        let k = k.to_ascii_uppercase();
        (k.starts_with("AWS_") || k.starts_with("AZURE_") || k.starts_with("GOOGLE_"))
            && is_secret_name(&k)
    });
    let opts = cfg
        .options
        .iter()
        .filter(|(k, _)| is_secret_name(k))
        .cloned();
    for (_, v) in env.chain(opts) {
        // A value this short is no credential, and blanking it would garble messages.
        if v.len() >= 6 && !s.contains(&v) {
            s.push(v);
        }
    }
    s.sort_by_key(|v| std::cmp::Reverse(v.len()));
}

/// `text` with every known secret replaced by `***`.
pub fn redact(text: &str) -> String {
    let s = secrets().lock().unwrap_or_else(|e| e.into_inner());
    let mut out = text.to_string();
    for v in s.iter() {
        if out.contains(v.as_str()) {
            out = out.replace(v.as_str(), "***");
        }
    }
    out
}
