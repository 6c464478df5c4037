//! The example manifests of `deploy/` (issue 17), validated offline as no cluster runs here:
//! the Kubernetes Jobs against Kubernetes' schemas, the Argo Workflow against Argo's models, an
//! unknown field an error in both (`scripts/validate-manifests.py`). The Slurm scripts run for
//! real in `slurm.rs`.

use std::path::Path;
use std::process::Command;

fn validate(files: &[&Path]) -> std::process::Output {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    Command::new("python3")
        .arg(root.join("scripts/validate-manifests.py"))
        .args(files)
        .output()
        .unwrap()
}

#[test]
fn the_kubernetes_and_argo_manifests_validate() {
    let o = validate(&[]);
    let said = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    for f in [
        "deploy/argo/workflow.yaml",
        "deploy/kubernetes/buckets-job.yaml",
        "deploy/kubernetes/merge-job.yaml",
        "deploy/kubernetes/shards-job.yaml",
    ] {
        assert!(said.contains(&format!("ok    {f}")), "{said}");
    }
}

#[test]
fn a_misspelt_field_fails_the_check() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = tempfile::tempdir().unwrap();
    let cases = [
        (
            "deploy/kubernetes/shards-job.yaml",
            "backoffLimitPerIndex:",
            "backoffLimitPerIndx:",
        ),
        ("deploy/argo/workflow.yaml", "withSequence:", "withSequenc:"),
        ("deploy/argo/workflow.yaml", "volumeMounts:", "volumeMount:"),
    ];
    for (i, (file, good, bad)) in cases.into_iter().enumerate() {
        let text = std::fs::read_to_string(root.join(file)).unwrap();
        assert!(text.contains(good));
        let path = tmp.path().join(format!("case{i}.yaml"));
        std::fs::write(&path, text.replace(good, bad)).unwrap();
        let o = validate(&[&path]);
        let said = String::from_utf8_lossy(&o.stdout);
        assert_eq!(o.status.code(), Some(1), "{said}");
        assert!(
            said.contains("FAIL") && said.contains(bad.trim_end_matches(':')),
            "{said}"
        );
    }
}
