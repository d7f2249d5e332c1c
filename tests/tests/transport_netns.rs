//! TCP between two hosts: an actor served in one network namespace and a
//! client in another, joined by a veth pair (10.200.0.1/24 and
//! 10.200.0.2/24, addresses that exist only inside these namespaces).
//!
//! Needs root (`ip netns add`); where that is not allowed the test prints
//! why and passes without running. The namespaces are removed at the end,
//! on failure too.

#[path = "support/ip.rs"]
mod ip;

use ip::ip;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const SERVER: &str = "10.200.0.1";
const CLIENT: &str = "10.200.0.2";
const PORT: u16 = 7700;

/// Two namespaces and the veth pair between them; removed when dropped.
struct Hosts {
    server: String,
    client: String,
    link: String,
    children: Vec<Child>,
}

impl Hosts {
    fn create() -> Result<Hosts, String> {
        let id = std::process::id();
        let hosts = Hosts {
            server: format!("uactor-srv-{id}"),
            client: format!("uactor-cli-{id}"),
            link: format!("uas{}", id % 100_000),
            children: Vec::new(),
        };
        let peer = format!("uac{}", id % 100_000);
        let (server, client, link) = (&hosts.server, &hosts.client, &hosts.link);
        ip(&["netns", "add", server])?;
        ip(&["netns", "add", client])?;
        ip(&["link", "add", link, "type", "veth", "peer", "name", &peer])?;
        ip(&["link", "set", link, "netns", server])?;
        ip(&["link", "set", &peer, "netns", client])?;
        ip(&[
            "-n",
            server,
            "addr",
            "add",
            &format!("{SERVER}/24"),
            "dev",
            link,
        ])?;
        ip(&[
            "-n",
            client,
            "addr",
            "add",
            &format!("{CLIENT}/24"),
            "dev",
            &peer,
        ])?;
        for (namespace, device) in [(server, link.as_str()), (client, peer.as_str())] {
            ip(&["-n", namespace, "link", "set", "lo", "up"])?;
            ip(&["-n", namespace, "link", "set", device, "up"])?;
        }
        Ok(hosts)
    }

    fn run(&mut self, namespace: &str, args: &[&str]) -> Result<&mut Child, String> {
        let child = Command::new("ip")
            .args(["netns", "exec", namespace, env!("CARGO_BIN_EXE_netns_peer")])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|error| format!("starting netns_peer in {namespace}: {error}"))?;
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
        // Deleting a namespace destroys the veth end inside it, and so the
        // pair; the link is deleted too in case it never moved.
        let _ = ip(&["link", "del", &self.link]);
        let _ = ip(&["netns", "del", &self.server]);
        let _ = ip(&["netns", "del", &self.client]);
    }
}

/// The first line of `child`'s output that starts with `prefix`, waiting at
/// most `limit`.
fn line_from(child: &mut Child, prefix: &'static str, limit: Duration) -> Option<String> {
    let stdout = child.stdout.take()?;
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.starts_with(prefix) {
                let _ = sender.send(line);
                return;
            }
        }
    });
    receiver.recv_timeout(limit).ok()
}

fn exits_within(child: &mut Child, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            return status.success();
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

#[test]
fn an_actor_on_one_host_serves_a_client_on_another() {
    if !is_root() {
        eprintln!("skipped: network namespaces need root (ip netns add)");
        return;
    }
    let mut hosts = match Hosts::create() {
        Ok(hosts) => hosts,
        Err(reason) => {
            eprintln!("skipped: network namespaces are not allowed here: {reason}");
            return;
        }
    };
    let address = format!("tcp://{SERVER}:{PORT}");
    let server_namespace = hosts.server.clone();
    let client_namespace = hosts.client.clone();

    let server = hosts.run(&server_namespace, &["serve", &address]).unwrap();
    let server_pid = server.id();
    let listening = line_from(server, "LISTENING", Duration::from_secs(20));
    assert_eq!(
        listening.as_deref(),
        Some(format!("LISTENING {address}").as_str())
    );

    let client = hosts.run(&client_namespace, &["call", &address]).unwrap();
    let result = line_from(client, "RESULT", Duration::from_secs(20))
        .expect("the client printed its result");
    assert_eq!(
        result,
        format!("RESULT 42 {server_pid} {}", 1 << 20),
        "the call crossed to the other host"
    );
    let client = hosts.children.last_mut().unwrap();
    assert!(
        exits_within(client, Duration::from_secs(10)),
        "the client ended cleanly"
    );
    let server = hosts.children.first_mut().unwrap();
    assert!(
        exits_within(server, Duration::from_secs(10)),
        "serve returned after the client's shutdown"
    );
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with("Uid:"))
                .map(|line| line.split_whitespace().nth(2) == Some("0"))
        })
        .unwrap_or(false)
}
