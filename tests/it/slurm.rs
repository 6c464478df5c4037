//! `deploy/slurm/submit.sh` (issue 17) against a real Slurm on loopback: the test starts Debian's
//! `munged`, `slurmctld` and `slurmd` (package `slurm-wlm`, installed by
//! `scripts/install-test-deps.sh`) with a configuration of its own in a fresh folder, submits the
//! array of shards and the `afterok` merge, and reads the outputs back: byte-identical to `run`.
//! A run whose shards fail never merges.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::cli::transcript;
use crate::property::PIPELINE;
use crate::shard_merge::{company_with, ok, same_tables};

/// A Slurm cluster of one node, stopped when dropped.
struct Slurm {
    dir: tempfile::TempDir,
    conf: PathBuf,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn sh(cmd: &str) -> String {
    let o = Command::new("sh").args(["-c", cmd]).output().unwrap();
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

impl Slurm {
    fn start() -> Slurm {
        for program in ["munged", "slurmctld", "slurmd", "sbatch"] {
            assert!(
                !sh(&format!("command -v {program}")).is_empty(),
                "{program} is not installed: run `bash scripts/install-test-deps.sh`"
            );
        }
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for sub in ["state", "spool", "munge"] {
            std::fs::create_dir(d.join(sub)).unwrap();
        }
        let key = d.join("munge/key");
        std::fs::write(&key, [7u8; 128]).unwrap();
        sh(&format!(
            "chmod 700 {0}/munge; chmod 600 {1}",
            d.display(),
            key.display()
        ));
        let munge = Command::new("munged")
            .arg("--force")
            .arg(format!("--key-file={}", key.display()))
            .arg(format!("--socket={}/munge/sock", d.display()))
            .arg(format!("--pid-file={}/munge/pid", d.display()))
            .arg(format!("--log-file={}/munge/log", d.display()))
            .arg(format!("--seed-file={}/munge/seed", d.display()))
            .status()
            .unwrap();
        assert!(munge.success(), "munged did not start");
        let user = sh("id -un");
        let host = sh("hostname -s");
        let conf = d.join("slurm.conf");
        let text = format!(
            "ClusterName=fstest\nSlurmctldHost=localhost(127.0.0.1)\nSlurmctldPort={ctld}\n\
             SlurmdPort={slurmd}\nAuthType=auth/munge\nAuthInfo=socket={d}/munge/sock\n\
             CredType=cred/munge\nSlurmUser={user}\nSlurmdUser={user}\nStateSaveLocation={d}/state\n\
             SlurmdSpoolDir={d}/spool\nSlurmctldPidFile={d}/slurmctld.pid\nSlurmdPidFile={d}/slurmd.pid\n\
             SlurmctldLogFile={d}/slurmctld.log\nSlurmdLogFile={d}/slurmd.log\n\
             ProctrackType=proctrack/linuxproc\nTaskPlugin=task/none\nSelectType=select/cons_tres\n\
             SelectTypeParameters=CR_CPU\nJobAcctGatherType=jobacct_gather/none\n\
             AccountingStorageType=accounting_storage/none\nMpiDefault=none\nReturnToService=2\n\
             SchedulerType=sched/builtin\n\
             NodeName=fsnode NodeHostname={host} NodeAddr=127.0.0.1 CPUs=2 State=UNKNOWN\n\
             PartitionName=debug Nodes=fsnode Default=YES MaxTime=INFINITE State=UP\n",
            ctld = free_port(),
            slurmd = free_port(),
            d = d.display(),
        );
        std::fs::write(&conf, text).unwrap();
        let s = Slurm { dir, conf };
        for (daemon, args) in [("slurmctld", vec!["-i"]), ("slurmd", vec!["-N", "fsnode"])] {
            let ok = s.cmd(daemon).args(args).status().unwrap().success();
            assert!(ok, "{daemon} did not start:\n{}", s.logs());
        }
        // The node is idle once slurmd has registered.
        let t = Instant::now();
        while !s.out("sinfo", &["-h", "-o", "%t"]).contains("idle") {
            assert!(
                t.elapsed() < Duration::from_secs(60),
                "no node came up:\n{}",
                s.logs()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        s
    }

    fn cmd(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.env("SLURM_CONF", &self.conf);
        c
    }

    fn out(&self, program: &str, args: &[&str]) -> String {
        let o = self.cmd(program).args(args).output().unwrap();
        String::from_utf8_lossy(&o.stdout).to_string()
    }

    fn logs(&self) -> String {
        let d = self.dir.path();
        ["slurmctld.log", "slurmd.log", "munge/log"]
            .iter()
            .map(|f| {
                format!(
                    "--- {f}\n{}",
                    std::fs::read_to_string(d.join(f)).unwrap_or_default()
                )
            })
            .collect()
    }

    /// Job `id`'s state once it has ended.
    fn wait(&self, id: &str) -> String {
        let t = Instant::now();
        loop {
            let shown = self.out("scontrol", &["show", "job", id]);
            let state = shown
                .split_whitespace()
                .find_map(|w| w.strip_prefix("JobState="))
                .unwrap_or("")
                .to_string();
            if !["", "PENDING", "RUNNING", "CONFIGURING", "COMPLETING"].contains(&state.as_str()) {
                return state;
            }
            assert!(
                t.elapsed() < Duration::from_secs(300),
                "job {id} did not end:\n{shown}\n{}",
                self.logs()
            );
            std::thread::sleep(Duration::from_millis(300));
        }
    }
}

impl Drop for Slurm {
    fn drop(&mut self) {
        let d = self.dir.path();
        for pid in ["slurmd.pid", "slurmctld.pid", "munge/pid"] {
            if let Ok(p) = std::fs::read_to_string(d.join(pid)) {
                sh(&format!("kill {}", p.trim()));
            }
        }
    }
}

/// `submit.sh PIPELINE ARGS` with `slices` bucket tasks (its default, as many as the shards, when
/// `None`); the merge job's id.
fn submit(s: &Slurm, dir: &Path, args: &[&str], slices: Option<&str>) -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/slurm/submit.sh");
    let mut cmd = s.cmd("sh");
    cmd.arg(script)
        .arg(dir.join("pipeline.yaml"))
        .args(args)
        .env("FACTORSCORE", assert_cmd::cargo::cargo_bin("factorscore"))
        .current_dir(dir);
    if let Some(n) = slices {
        cmd.env("SLICES", n);
    }
    let o = cmd.output().unwrap();
    assert!(o.status.success(), "{}\n{}", transcript(&o, dir), s.logs());
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

#[test]
fn a_slurm_array_of_shards_and_its_afterok_merge_write_the_tables_of_a_run() {
    let tmp = company_with(31, PIPELINE);
    let dir = tmp.path();
    ok(dir, &["run", "pipeline.yaml", "-q", "--out", "out-run"]);

    let slurm = Slurm::start();
    let path = |name: &str| dir.join(name).display().to_string();
    // Two bucket slices, three shards, the merge.
    let args = ["3", &path("parts"), &path("out-slurm")];
    let merge = submit(&slurm, dir, &args, Some("2"));
    assert_eq!(slurm.wait(&merge), "COMPLETED", "{}", slurm.logs());
    same_tables(dir, "out-run", "out-slurm");

    // `--period previous` is named once by submit.sh: the parts and the merge compute the month
    // `run --period previous` computes.
    let month = ["--period", "previous"];
    ok(
        dir,
        &[
            &["run", "pipeline.yaml", "-q", "--out", "out-run-prev"][..],
            &month,
        ]
        .concat(),
    );
    let (parts, out) = (path("parts-prev"), path("out-prev"));
    let args = [&["2", &parts, &out][..], &month].concat();
    // Without the bucket stage: each shard reads every input.
    let merge = submit(&slurm, dir, &args, Some("0"));
    assert_eq!(slurm.wait(&merge), "COMPLETED", "{}", slurm.logs());
    same_tables(dir, "out-run-prev", "out-prev");

    // Shards that fail (a period that is not one) leave the merge never to run.
    let args = [
        "2",
        &path("parts-bad"),
        &path("out-bad"),
        "--period",
        "2025-13",
    ];
    let merge = submit(&slurm, dir, &args, None);
    assert_eq!(slurm.wait(&merge), "CANCELLED");
    assert!(!dir.join("out-bad").join("_current").exists());
}
