//! Who may join and who may spawn: nats-server's credentials to connect,
//! the cluster key to be a member, and a worker that answers requests not
//! sealed with the key with a refusal. A real nats-server on loopback (on
//! `PATH`, or its path in `UACTOR_NATS_SERVER`); without one the test says
//! it was skipped and why.

use std::time::{Duration, Instant};

use uactor_cluster::{Cluster, Config, Worker};
use uactor_core::Error;

#[path = "support/nats.rs"]
mod nats;

use nats::{Auth, NatsServer};

const TOKEN: &str = "security test token";
const KEY: &[u8] = b"the cluster key of the security test";

/// A nats-server with `auth`; `None`, said on stderr, when there is none.
fn server(auth: Auth<'_>) -> Option<NatsServer> {
    let Some(program) = nats::program() else {
        eprintln!("skipped: {}", nats::MISSING);
        return None;
    };
    Some(NatsServer::start(&program, auth).expect("nats-server starts"))
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
    let Some(server) = server(Auth::Token(TOKEN)) else {
        return;
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
    let Some(server) = server(Auth::NKey(&member.public_key())) else {
        return;
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
