//! The cluster across hosts: three worker hosts and a hub, each a network
//! namespace, joined by veth pairs to a bridge in the hub (10.210.0.1 is
//! the hub, where nats-server and the caller run; 10.210.0.11 to .13 are
//! the workers), addresses that exist only inside these namespaces.
//!
//! `a_cluster_of_three_hosts` builds the hosts, starts nats-server and the
//! workers (`cluster_host` with `UACTOR_WORKER=1`), and runs the scenario
//! (`scenario_in_the_hub`, ignored by itself) as a process in the hub; the
//! scenario spawns across hosts, looks up from every host, runs a pool
//! through the loss of a host, and checks what the loss did. Everything is
//! removed at the end, on failure too.
//!
//! Needs root (`ip netns add`) and nats-server (on `PATH`, or its path in
//! `UACTOR_NATS_SERVER`); without either the test says it was skipped and
//! why.

#[path = "support/ip.rs"]
mod ip;

#[path = "../../uactor-cluster/tests/support/nats.rs"]
mod nats;

use ip::ip;
use nats::{Auth, NatsServer};
use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader};
use std::net::IpAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use tests::Counter;
use uactor::cluster::{Cluster, Config, DETECTION_BOUND, Lookup};
use uactor::{Error, Exit, Pool, Proxy, Restart};

const HUB: &str = "10.210.0.1";
const WORKERS: [&str; 3] = ["10.210.0.11", "10.210.0.12", "10.210.0.13"];
const TOKEN: &str = "cluster test token";
const KEY: &str = "cluster test key, long enough";
/// The build identity of the test's workers and caller (the worker binary
/// is not the test binary).
const BUILD: &str = "uactor-tests";

/// What the scenario is told about the hosts, in its environment.
const HOSTS_VARIABLE: &str = "UACTOR_TEST_CLUSTER_HOSTS";

/// The namespaces and what runs in them; removed when dropped.
struct Hosts {
    id: u32,
    dir: PathBuf,
    children: Vec<Child>,
}

impl Hosts {
    fn namespace(&self, host: &str) -> String {
        format!("uacl-{}-{host}", self.id)
    }

    /// The hub's end of worker `index`'s veth pair, and the worker's.
    fn veth(&self, index: usize) -> (String, String) {
        let id = self.id % 100_000;
        (format!("ucl{id}h{index}"), format!("ucl{id}w{index}"))
    }

    fn create() -> Result<Hosts, String> {
        let id = std::process::id();
        let dir = std::env::temp_dir().join(format!("uactor-cluster-test-{id}"));
        std::fs::create_dir_all(&dir).map_err(|error| error.to_string())?;
        let hosts = Hosts {
            id,
            dir,
            children: Vec::new(),
        };
        let hub = hosts.namespace("hub");
        ip(&["netns", "add", &hub])?;
        ip(&["-n", &hub, "link", "set", "lo", "up"])?;
        ip(&["-n", &hub, "link", "add", "br0", "type", "bridge"])?;
        ip(&[
            "-n",
            &hub,
            "addr",
            "add",
            &format!("{HUB}/24"),
            "dev",
            "br0",
        ])?;
        ip(&["-n", &hub, "link", "set", "br0", "up"])?;
        for (index, address) in WORKERS.iter().enumerate() {
            let host = hosts.namespace(&format!("w{index}"));
            let (hub_end, host_end) = hosts.veth(index);
            ip(&["netns", "add", &host])?;
            ip(&["-n", &host, "link", "set", "lo", "up"])?;
            ip(&[
                "-n", &hub, "link", "add", &hub_end, "type", "veth", "peer", "name", &host_end,
                "netns", &host,
            ])?;
            ip(&["-n", &hub, "link", "set", &hub_end, "master", "br0"])?;
            ip(&["-n", &hub, "link", "set", &hub_end, "up"])?;
            ip(&[
                "-n",
                &host,
                "addr",
                "add",
                &format!("{address}/24"),
                "dev",
                &host_end,
            ])?;
            ip(&["-n", &host, "link", "set", &host_end, "up"])?;
        }
        Ok(hosts)
    }

    /// Starts `program` in namespace `host` with the cluster's environment
    /// and `env`.
    fn run(
        &mut self,
        host: &str,
        program: &PathBuf,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> Result<&mut Child, String> {
        let mut command = Command::new("ip");
        command
            .args(["netns", "exec", &self.namespace(host)])
            .arg(program)
            .args(args)
            .env("UACTOR_NATS", format!("nats://{HUB}:4222"))
            .env("UACTOR_NATS_TOKEN", TOKEN)
            .env("UACTOR_CLUSTER_KEY", KEY)
            .env("UACTOR_CLUSTER", "test")
            .env("UACTOR_BUILD", BUILD)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let child = command
            .spawn()
            .map_err(|error| format!("starting {} in {host}: {error}", program.display()))?;
        self.children.push(child);
        Ok(self.children.last_mut().expect("just pushed"))
    }
}

impl Drop for Hosts {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
        let mut namespaces: Vec<String> = (0..WORKERS.len())
            .map(|index| self.namespace(&format!("w{index}")))
            .collect();
        namespaces.push(self.namespace("hub"));
        for namespace in &namespaces {
            kill_all_in(namespace);
        }
        for namespace in &namespaces {
            let _ = ip(&["netns", "del", namespace]);
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Kills every process in `namespace` (processes the test started there).
fn kill_all_in(namespace: &str) {
    let Ok(output) = Command::new("ip")
        .args(["netns", "pids", namespace])
        .output()
    else {
        return;
    };
    for pid in String::from_utf8_lossy(&output.stdout).split_whitespace() {
        let _ = Command::new("kill").args(["-9", pid]).status();
    }
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with("Uid:"))
                .map(|line| line.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}

/// Sends each line of `child`'s stdout and stderr to `lines`, tagged.
fn forward(child: &mut Child, tag: &'static str, lines: &mpsc::Sender<String>) {
    let out = child
        .stdout
        .take()
        .map(|out| Box::new(out) as Box<dyn std::io::Read + Send>);
    let err = child
        .stderr
        .take()
        .map(|err| Box::new(err) as Box<dyn std::io::Read + Send>);
    for stream in [out, err].into_iter().flatten() {
        let lines = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                let _ = lines.send(format!("[{tag}] {line}"));
            }
        });
    }
}

#[test]
fn a_cluster_of_three_hosts() {
    if !is_root() {
        eprintln!("skipped: network namespaces need root (ip netns add)");
        return;
    }
    let Some(nats) = nats::program() else {
        eprintln!("skipped: {}", nats::MISSING);
        return;
    };
    let mut hosts = match Hosts::create() {
        Ok(hosts) => hosts,
        Err(reason) => {
            eprintln!("skipped: network namespaces are not allowed here: {reason}");
            return;
        }
    };
    let (lines, output) = mpsc::channel();
    let store = hosts.dir.join("jetstream");
    let server = hosts
        .run(
            "hub",
            &nats,
            &[
                "-a",
                HUB,
                "-p",
                "4222",
                "-js",
                "--auth",
                TOKEN,
                "-sd",
                &store.to_string_lossy(),
            ],
            &[],
        )
        .unwrap();
    forward(server, "nats", &lines);
    let ready = Instant::now() + Duration::from_secs(20);
    loop {
        match output.recv_timeout(Duration::from_millis(100)) {
            Ok(line) if line.contains("Server is ready") => break,
            _ if Instant::now() > ready => panic!("nats-server did not start within 20 s"),
            _ => {}
        }
    }
    let worker = PathBuf::from(env!("CARGO_BIN_EXE_cluster_host"));
    for index in 0..WORKERS.len() {
        let child = hosts
            .run(
                &format!("w{index}"),
                &worker,
                &[],
                &[("UACTOR_WORKER", "1")],
            )
            .unwrap();
        forward(child, "worker", &lines);
    }
    // A worker of other code on the first host: never chosen.
    let child = hosts
        .run(
            "w0",
            &worker,
            &[],
            &[("UACTOR_WORKER", "1"), ("UACTOR_BUILD", "other-code")],
        )
        .unwrap();
    forward(child, "other", &lines);

    let hosts_description = (0..WORKERS.len())
        .map(|index| {
            let (hub_end, _) = hosts.veth(index);
            format!(
                "{}={}={hub_end}",
                hosts.namespace(&format!("w{index}")),
                WORKERS[index]
            )
        })
        .collect::<Vec<_>>()
        .join(",");
    let test_binary = std::env::current_exe().unwrap();
    let scenario = hosts
        .run(
            "hub",
            &test_binary,
            &[
                "--ignored",
                "--exact",
                "scenario_in_the_hub",
                "--nocapture",
                "--test-threads=1",
            ],
            &[(HOSTS_VARIABLE, &hosts_description)],
        )
        .unwrap();
    let scenario_pid = scenario.id();
    forward(scenario, "scenario", &lines);
    let deadline = Instant::now() + Duration::from_secs(240);
    let mut log = Vec::new();
    let status = loop {
        while let Ok(line) = output.try_recv() {
            println!("{line}");
            log.push(line);
        }
        let child = hosts
            .children
            .iter_mut()
            .find(|child| child.id() == scenario_pid);
        if let Some(status) = child.and_then(|child| child.try_wait().ok().flatten()) {
            break Some(status);
        }
        if Instant::now() > deadline {
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    std::thread::sleep(Duration::from_millis(200));
    while let Ok(line) = output.try_recv() {
        println!("{line}");
        log.push(line);
    }
    match status {
        Some(status) => assert!(
            status.success(),
            "the scenario failed ({status}); its output is above"
        ),
        None => panic!("the scenario did not finish within 240 s"),
    }
    assert!(
        log.iter().any(|line| line.contains("1 passed")),
        "the scenario did not run: {log:?}"
    );
}

/// A worker host, as the scenario is told.
struct Host {
    namespace: String,
    address: IpAddr,
    /// The hub's end of its veth pair: setting it down cuts the host off.
    link: String,
}

/// Waits until `done`, at most `limit`; how long it took.
fn wait_until(limit: Duration, what: &str, mut done: impl FnMut() -> bool) -> Duration {
    let started = Instant::now();
    while !done() {
        assert!(
            started.elapsed() < limit,
            "gave up waiting {limit:?} for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    started.elapsed()
}

fn host_of(proxy: &impl Proxy) -> IpAddr {
    match proxy.address() {
        uactor::Address::Tcp(address) | uactor::Address::Tls(address) => address.ip(),
        other => panic!("a cluster actor at {other}"),
    }
}

/// Runs `cluster_host` in `namespace` and returns its first line that
/// starts with `prefix`, waiting at most `limit`; the child is returned to
/// be killed or waited for.
fn cluster_host(
    namespace: &str,
    args: &[&str],
    prefix: &'static str,
    limit: Duration,
) -> (Child, Option<String>) {
    let mut child = Command::new("ip")
        .args([
            "netns",
            "exec",
            namespace,
            env!("CARGO_BIN_EXE_cluster_host"),
        ])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start cluster_host");
    let stdout = child.stdout.take().expect("piped");
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.starts_with(prefix) {
                let _ = sender.send(line);
            }
        }
    });
    (child, receiver.recv_timeout(limit).ok())
}

/// The scenario, in the hub's namespace: started by
/// `a_cluster_of_three_hosts`, which built the hosts and started the
/// workers. Prints its measurements on lines that start with `FIGURE`.
#[test]
#[ignore = "the scenario of a_cluster_of_three_hosts, which runs it inside the hub's namespace"]
fn scenario_in_the_hub() {
    let description = std::env::var(HOSTS_VARIABLE)
        .expect("run by a_cluster_of_three_hosts, which sets UACTOR_TEST_CLUSTER_HOSTS");
    let hosts: Vec<Host> = description
        .split(',')
        .map(|host| {
            let mut parts = host.split('=');
            Host {
                namespace: parts.next().expect("namespace").to_owned(),
                address: parts
                    .next()
                    .expect("address")
                    .parse()
                    .expect("an IP address"),
                link: parts.next().expect("link").to_owned(),
            }
        })
        .collect();
    let addresses: Vec<IpAddr> = hosts.iter().map(|host| host.address).collect();
    let cluster = Cluster::connect(&Config::from_env().unwrap()).unwrap();
    wait_until(Duration::from_secs(30), "four workers to join", || {
        cluster.workers().len() == 4
    });
    let other_code = cluster
        .workers()
        .into_iter()
        .find(|worker| worker.build == "other-code")
        .expect("the worker of other code joined");

    // 30 actors across the hosts, against local spawns.
    let started = Instant::now();
    let local: Vec<_> = (0..10).map(|n| Counter::spawn(n).unwrap()).collect();
    let local_spawn = started.elapsed() / 10;
    drop(local);
    let started = Instant::now();
    let actors: Vec<_> = (0..30)
        .map(|n| Counter::spawn_with(&cluster.options(), n).unwrap())
        .collect();
    let cluster_spawn = started.elapsed() / 30;
    println!(
        "FIGURE spawn: {cluster_spawn:?} per actor on the cluster, {local_spawn:?} per local actor"
    );
    let mut per_host: BTreeMap<IpAddr, usize> = BTreeMap::new();
    for (n, actor) in actors.iter().enumerate() {
        assert_eq!(actor.add(1).unwrap(), n as i64 + 1);
        *per_host.entry(host_of(actor)).or_default() += 1;
    }
    println!("FIGURE placement of 30: {per_host:?}");
    assert_eq!(per_host.keys().copied().collect::<Vec<_>>(), addresses);
    let (least, most) = (
        per_host.values().min().copied().unwrap(),
        per_host.values().max().copied().unwrap(),
    );
    assert!(most - least <= 2, "30 actors placed unevenly: {per_host:?}");
    assert!(
        cluster
            .workers()
            .iter()
            .any(|worker| worker.id == other_code.id && worker.load == 0),
        "an actor landed on the worker of other code"
    );
    // Dropping the owner ends the actor on its host.
    let pids: Vec<u32> = actors.iter().map(|actor| actor.pid()).collect();
    drop(actors);
    for pid in pids {
        assert!(
            tests::wait_gone(pid, Duration::from_secs(10)).is_some(),
            "actor process {pid} outlived its owner's proxy"
        );
    }

    // A name, looked up from every host.
    let orders = Counter::spawn_with(&cluster.options().name("orders"), 100).unwrap();
    match Counter::spawn_with(&cluster.options().name("orders"), 0) {
        Err(Error::Spawn { message }) => assert!(message.contains("taken"), "{message}"),
        other => panic!("a second actor took the name \"orders\": {other:?}"),
    }
    let lookups: Vec<_> = hosts
        .iter()
        .map(|host| {
            let namespace = host.namespace.clone();
            std::thread::spawn(move || {
                let (mut child, line) = cluster_host(
                    &namespace,
                    &["lookup", "orders"],
                    "LOOKUP",
                    Duration::from_secs(30),
                );
                let _ = child.wait();
                line
            })
        })
        .collect();
    for lookup in lookups {
        let line = lookup
            .join()
            .unwrap()
            .expect("a lookup from a worker host answered");
        assert!(line.contains(&orders.address().to_string()), "{line}");
    }
    assert_eq!(orders.get().unwrap(), 103, "three lookups added 1 each");
    assert_eq!(
        Counter::lookup(&cluster, "orders").unwrap().get().unwrap(),
        103
    );
    assert!(matches!(
        tests::Fragile::lookup(&cluster, "orders"),
        Err(Error::Proxy { .. })
    ));
    assert!(matches!(
        Counter::lookup(&cluster, "nobody"),
        Err(Error::Proxy { .. })
    ));

    // An owner that dies takes its actors with it: its lease lapses.
    let (mut owner, line) = cluster_host(
        &hosts[0].namespace,
        &["own", "orphan"],
        "OWNING",
        Duration::from_secs(30),
    );
    line.expect("the owner on the first host spawned its actor");
    let orphan = Counter::lookup(&cluster, "orphan").unwrap();
    let orphan_pid = orphan.pid();
    drop(orphan);
    owner.kill().unwrap();
    let _ = owner.wait();
    let killed = Instant::now();
    let ended = tests::wait_gone(orphan_pid, DETECTION_BOUND + Duration::from_secs(5))
        .expect("the actor of a dead owner still runs");
    wait_until(Duration::from_secs(5), "the orphan's name to go", || {
        matches!(
            Counter::lookup(&cluster, "orphan"),
            Err(Error::Proxy { .. })
        )
    });
    println!(
        "FIGURE owner killed: its actor ended {ended:?} later, its name was gone {:?} later",
        killed.elapsed()
    );

    // A supervised pool of 6 over the 3 hosts, through the loss of one.
    let supervised = cluster
        .options()
        .restart(Restart::OnCrash { max_restarts: 5 })
        .call_timeout(Duration::from_secs(60));
    let pool = Arc::new(Pool::<Counter>::spawn_with(&supervised, 6, 0).unwrap());
    let mut pool_hosts: HashMap<IpAddr, usize> = HashMap::new();
    for proxy in pool.proxies() {
        *pool_hosts.entry(host_of(proxy)).or_default() += 1;
    }
    // Least loaded first: with "orders" on one host, the 7 actors are
    // spread 3, 2, 2.
    let mut totals = pool_hosts.clone();
    *totals.entry(host_of(&orders)).or_default() += 1;
    let (least, most) = (
        totals.values().min().copied().unwrap(),
        totals.values().max().copied().unwrap(),
    );
    assert!(
        totals.len() == 3 && most - least <= 1 && pool_hosts.len() == 3,
        "a pool of 6 over 3 hosts: {pool_hosts:?}, with \"orders\": {totals:?}"
    );
    let victim = &hosts[2];
    let on_victim = pool_hosts[&victim.address];
    // Names on every host, some on the victim.
    let named: Vec<_> = (0..6)
        .map(|n| {
            let name = format!("n{n}");
            let proxy = Counter::spawn_with(&cluster.options().name(name.clone()), n).unwrap();
            (name, proxy)
        })
        .collect();
    let victim_names: Vec<&str> = named
        .iter()
        .filter(|(_, proxy)| host_of(proxy) == victim.address)
        .map(|(name, _)| name.as_str())
        .collect();
    assert!(!victim_names.is_empty(), "no name on the victim host");
    // Calls in flight on the victim when it goes.
    let in_flight: Vec<_> = pool
        .proxies()
        .filter(|proxy| host_of(*proxy) == victim.address)
        .map(|proxy| {
            let proxy = proxy.clone();
            std::thread::spawn(move || {
                let result = proxy.nap(30_000);
                (result, Instant::now())
            })
        })
        .collect();
    // And a steady load on the pool from 4 threads.
    let stop = Arc::new(AtomicBool::new(false));
    let load: Vec<_> = (0..4)
        .map(|_| {
            let (pool, stop) = (Arc::clone(&pool), Arc::clone(&stop));
            std::thread::spawn(move || {
                let mut calls = Vec::new();
                let deadline = Instant::now() + Duration::from_secs(90);
                while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
                    let sent = Instant::now();
                    calls.push((sent, pool.call(|counter| counter.nap(5))));
                }
                calls
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    // The host disappears: cut off, then killed.
    ip(&[
        "-n",
        &format!("uacl-{}-hub", victim.namespace.split('-').nth(1).unwrap()),
        "link",
        "set",
        &victim.link,
        "down",
    ])
    .unwrap();
    kill_all_in(&victim.namespace);
    let killed = Instant::now();
    for call in in_flight {
        let (result, ended) = call.join().unwrap();
        match result {
            Err(Error::ActorDied {
                status: Exit::HostLost { host, .. },
            }) => assert_eq!(host, victim.address),
            other => panic!("a call in flight on the lost host ended with {other:?}"),
        }
        let after = ended - killed;
        assert!(
            after < DETECTION_BOUND + Duration::from_secs(5),
            "a call in flight on the lost host ended {after:?} after"
        );
        println!("FIGURE a call in flight on the lost host failed {after:?} after the loss");
    }
    let withdrawn = wait_until(
        DETECTION_BOUND + Duration::from_secs(5),
        "the lost host's names to go",
        || {
            victim_names
                .iter()
                .all(|name| matches!(Counter::lookup(&cluster, name), Err(Error::Proxy { .. })))
        },
    );
    println!(
        "FIGURE the lost host's names {victim_names:?} were gone {:?} after the loss",
        killed.elapsed()
    );
    let _ = withdrawn;
    for (name, proxy) in &named {
        if host_of(proxy) != victim.address {
            assert!(
                Counter::lookup(&cluster, name).is_ok(),
                "{name} on a live host was withdrawn"
            );
        }
    }
    let recovered = wait_until(
        Duration::from_secs(30),
        "the pool to be whole again",
        || {
            pool.proxies()
                .all(|proxy| host_of(proxy) != victim.address && proxy.get().is_ok())
        },
    );
    println!(
        "FIGURE the pool was whole again {:?} after the loss",
        killed.elapsed()
    );
    let _ = recovered;
    for proxy in pool.proxies() {
        assert!(addresses[..2].contains(&host_of(proxy)));
    }
    assert_eq!(
        pool.proxies()
            .filter(|proxy| proxy.generation() == 1)
            .count(),
        on_victim,
        "the pool's actors of the lost host were placed again once each"
    );
    // Calls go on for a while after the loss has settled.
    let settled = killed + DETECTION_BOUND + Duration::from_secs(2);
    std::thread::sleep(
        (settled + Duration::from_secs(1)).saturating_duration_since(Instant::now()),
    );
    stop.store(true, Ordering::Relaxed);
    let calls: Vec<_> = load
        .into_iter()
        .flat_map(|thread| thread.join().unwrap())
        .collect();
    let mut failed = 0;
    for (sent, result) in &calls {
        match result {
            Ok(5) => {}
            Err(Error::ActorDied {
                status: Exit::HostLost { host, .. },
            }) if *host == victim.address && *sent < settled => failed += 1,
            other => panic!(
                "a pool call sent {:?} after the loss ended with {other:?}",
                sent.checked_duration_since(killed)
            ),
        }
    }
    let after = calls.iter().filter(|(sent, _)| *sent > settled).count();
    assert!(after > 0, "no call was made after the loss settled");
    assert!(
        failed <= 4,
        "{failed} pool calls failed: more than were in flight"
    );
    println!(
        "FIGURE pool under load: {} calls, {failed} failed with ActorDied (in flight on the lost host), {after} after the loss settled",
        calls.len()
    );
    drop(orders);
}

/// One host, on loopback: a worker in this process (its actors are this
/// test binary started again), actor links over TLS, and a supervised
/// actor that crashes, comes back, and keeps its name.
#[test]
fn links_are_tls_and_a_crashed_actor_comes_back_with_its_name() {
    let Some(program) = nats::program() else {
        eprintln!("skipped: {}", nats::MISSING);
        return;
    };
    let nats = NatsServer::start(&program, Auth::Token(TOKEN)).expect("nats-server starts");
    let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()])
        .expect("rcgen makes a certificate");
    let (certificate, key) = (certified.cert.pem(), certified.signing_key.serialize_pem());
    let tls = uactor::net::Tls::new()
        .identity_pem(&certificate, &key)
        .unwrap()
        .trust_pem(&certificate)
        .unwrap();
    let config = Config::new(&nats.url)
        .cluster("loopback")
        .token(TOKEN)
        .key(KEY)
        .with(tls);
    let worker = uactor::cluster::Worker::start(&config).unwrap();
    let cluster = Cluster::connect(&config).unwrap();
    wait_until(Duration::from_secs(10), "the worker to join", || {
        cluster.workers().len() == 1
    });
    assert_eq!(cluster.workers()[0].build, cluster.build());
    assert!(
        cluster.build().starts_with("exe-"),
        "the executable's digest"
    );

    let supervised = cluster
        .options()
        .name("crashy")
        .restart(Restart::OnCrash { max_restarts: 3 });
    let counter = Counter::spawn_with(&supervised, 5).unwrap();
    assert!(
        matches!(counter.address(), uactor::Address::Tls(_)),
        "{}",
        counter.address()
    );
    assert_eq!(counter.add(1).unwrap(), 6);
    let found = Counter::lookup(&cluster, "crashy").unwrap();
    assert_eq!(found.get().unwrap(), 6);
    let first = counter.address();

    // It crashes: the call learns how from its host, and the supervisor
    // places it again; the name follows it.
    match counter.abort() {
        Err(Error::ActorDied {
            status: Exit::Signal(6),
        }) => {}
        other => panic!("a call that aborted the actor ended with {other:?}"),
    }
    assert_eq!(counter.get().unwrap(), 5, "re-created from its arguments");
    assert_eq!(counter.generation(), 1);
    assert_ne!(counter.address(), first);
    wait_until(Duration::from_secs(5), "the name to move", || {
        Counter::lookup(&cluster, "crashy").is_ok_and(|found| found.address() == counter.address())
    });

    // Dropping the owner ends it on the worker, and its name goes.
    let pid = counter.pid();
    drop(counter);
    drop(found);
    assert!(tests::wait_gone(pid, Duration::from_secs(10)).is_some());
    wait_until(Duration::from_secs(5), "the worker to host nothing", || {
        worker.hosted() == 0
    });
    assert!(matches!(
        Counter::lookup(&cluster, "crashy"),
        Err(Error::Proxy { .. })
    ));
    worker.stop();
}
