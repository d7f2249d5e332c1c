//! The floors: each uactor figure's work done with plain Unix sockets and
//! processes, by this binary re-executed in a helper role.
//!
//! A helper role is chosen by an environment variable and taken in `main`
//! before anything else, so a helper carries none of the benchmark's state.

use std::io::{self, Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use rustix::thread::sched_setaffinity;

use crate::machine::{only, rss_kib};
use crate::measure::Probe;

/// Names the helper role when this binary is re-executed for a floor.
pub(crate) const ROLE: &str = "UACTOR_BENCH_ROLE";
/// The socket a helper connects to.
const SOCKET: &str = "UACTOR_BENCH_SOCKET";
/// The CPU a helper pins itself to, if any.
const CPU: &str = "UACTOR_BENCH_CPU";
/// The size of one message an echoing helper answers.
const SIZE: &str = "UACTOR_BENCH_SIZE";

/// The size of one pipelined message in the floor: about a call's frame.
pub(crate) const PIPELINED_MESSAGE: usize = 32;
/// How long a spinning reader polls before it blocks.
const SPIN: Duration = Duration::from_micros(100);

// Floors: the same work with no uactor involved.

/// A helper process (this binary re-executed in a role) and the socket to it.
pub(crate) struct Peer {
    child: Child,
    stream: UnixStream,
    dir: PathBuf,
    /// How both sides wait for a message.
    wait: Wait,
}

impl Peer {
    /// Starts a helper in `role`, pinned to `cpu`, echoing `size`-byte
    /// messages, and waits for it to connect.
    pub(crate) fn start(role: &str, cpu: Option<usize>, size: usize) -> Result<Peer> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!(
            "uactor-bench-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let path = dir.join("floor.sock");
        let listener =
            UnixListener::bind(&path).with_context(|| format!("binding {}", path.display()))?;
        listener.set_nonblocking(true)?;
        let mut command = Command::new(std::env::current_exe()?);
        command
            .env(ROLE, role)
            .env(SOCKET, &path)
            .env(SIZE, size.to_string())
            .stdin(Stdio::null());
        if let Some(cpu) = cpu {
            command.env(CPU, cpu.to_string());
        }
        let mut child = command.spawn().context("starting a helper")?;
        let deadline = Instant::now() + Duration::from_secs(10);
        let stream = loop {
            match listener.accept() {
                Ok((stream, _)) => break stream,
                Err(error)
                    if error.kind() == io::ErrorKind::WouldBlock && Instant::now() < deadline =>
                {
                    if let Some(status) = child.try_wait()? {
                        let _ = std::fs::remove_dir_all(&dir);
                        bail!("the {role} helper ended before it connected ({status})");
                    }
                    std::thread::sleep(Duration::from_millis(1));
                }
                Err(error) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    let _ = std::fs::remove_dir_all(&dir);
                    return Err(error).context("waiting for a helper to connect");
                }
            }
        };
        let wait = Wait::of(role);
        stream.set_nonblocking(wait != Wait::Block)?;
        // No read timeout: a blocking read with one arms a timer, which the
        // floor would pay and uactor's calls (no timeout by default) do not.
        Ok(Peer {
            child,
            stream,
            dir,
            wait,
        })
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        // End of stream tells the helper to exit; kill it if it does not.
        let _ = self.stream.shutdown(std::net::Shutdown::Both);
        let deadline = Instant::now() + Duration::from_secs(5);
        while matches!(self.child.try_wait(), Ok(None)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Peer {
    /// The same helper, but this side waits for answers as `wait` says.
    pub(crate) fn caller_waits(mut self, wait: Wait) -> Result<Peer> {
        self.stream.set_nonblocking(wait != Wait::Block)?;
        self.wait = wait;
        Ok(self)
    }

    /// An 8-byte ping-pong, this side waiting for the answer as `wait` says.
    pub(crate) fn ping_pong(&self) -> Probe<'_> {
        let mut message = [1u8; 8];
        Box::new(move || {
            let started = Instant::now();
            (&self.stream).write_all(&message)?;
            let got = read_message(&self.stream, &mut message, self.wait)?;
            if !got {
                bail!("the helper closed the connection");
            }
            Ok(started.elapsed())
        })
    }

    /// A `size`-byte echo.
    pub(crate) fn echo(&self, size: usize) -> Probe<'_> {
        let message = vec![7u8; size];
        let mut back = vec![0u8; size];
        Box::new(move || {
            let started = Instant::now();
            (&self.stream).write_all(&message)?;
            if !read_message(&self.stream, &mut back, Wait::Block)? {
                bail!("the helper closed the connection");
            }
            Ok(started.elapsed())
        })
    }
}

/// How long `n` small messages take to go through a helper and back, each
/// written with its own system call while replies stream back.
pub(crate) fn floor_pipelined(peer: &Peer, n: usize) -> Result<Duration> {
    let writer = peer.stream.try_clone()?;
    let started = Instant::now();
    let sending = std::thread::spawn(move || -> io::Result<()> {
        let message = [3u8; PIPELINED_MESSAGE];
        for _ in 0..n {
            (&writer).write_all(&message)?;
        }
        Ok(())
    });
    let mut buffer = vec![0u8; 64 * 1024];
    let mut remaining = n * PIPELINED_MESSAGE;
    while remaining > 0 {
        match (&peer.stream).read(&mut buffer) {
            Ok(0) => bail!("the stream helper closed early"),
            Ok(read) => remaining = remaining.saturating_sub(read),
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error.into()),
        }
    }
    let elapsed = started.elapsed();
    match sending.join() {
        Ok(result) => result?,
        Err(_) => bail!("the sending thread panicked"),
    }
    Ok(elapsed)
}

/// From starting this binary again to its first byte on a pipe. `fork`
/// adds a no-op `pre_exec` hook, which makes std fork and exec instead of
/// calling `posix_spawn`, as uactor's spawn (which passes a descriptor
/// that way) does.
pub(crate) fn reexec(program: &Path, fork: bool) -> Probe<'_> {
    Box::new(move || {
        let mut command = Command::new(program);
        command
            .env(ROLE, "hello")
            .stdin(Stdio::null())
            .stdout(Stdio::piped());
        if fork {
            use std::os::unix::process::CommandExt;
            // SAFETY: the hook does nothing, so it is async-signal-safe.
            unsafe { command.pre_exec(|| Ok(())) };
        }
        let started = Instant::now();
        let mut child = command.spawn()?;
        let mut byte = [0u8; 1];
        let read = child
            .stdout
            .as_mut()
            .context("the helper's stdout")?
            .read(&mut byte);
        let first = started.elapsed();
        child.wait()?;
        if read? != 1 {
            bail!("the hello helper sent nothing");
        }
        Ok(first)
    })
}

/// The resident size of this binary re-executed and waiting, with no actor.
pub(crate) fn floor_idle_rss() -> Result<u64> {
    let mut child = Command::new(std::env::current_exe()?)
        .env(ROLE, "idle")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()?;
    let mut byte = [0u8; 1];
    let read = child
        .stdout
        .as_mut()
        .context("the helper's stdout")?
        .read(&mut byte);
    std::thread::sleep(Duration::from_millis(50));
    let rss = rss_kib(child.id());
    drop(child.stdin.take());
    child.wait()?;
    read?;
    rss
}

/// Runs this process as the helper `role` of a floor measurement.
pub(crate) fn helper(role: &str) -> Result<()> {
    match role {
        "hello" | "idle" => {
            let mut stdout = io::stdout();
            stdout.write_all(b"!")?;
            stdout.flush()?;
            if role == "idle" {
                // Wait for end of input: the parent is done measuring.
                io::copy(&mut io::stdin(), &mut io::sink())?;
            }
            Ok(())
        }
        "echo" | "spin-echo" | "yield-echo" | "stream" => {
            let path = std::env::var_os(SOCKET).context("no socket for the helper")?;
            let size: usize = std::env::var(SIZE)?.parse()?;
            if let Some(cpu) = std::env::var(CPU).ok().and_then(|cpu| cpu.parse().ok()) {
                sched_setaffinity(None, &only(cpu))?;
            }
            let stream = UnixStream::connect(path)?;
            match role {
                "stream" => {
                    let mut buffer = vec![0u8; 64 * 1024];
                    loop {
                        let read = (&stream).read(&mut buffer)?;
                        if read == 0 {
                            return Ok(());
                        }
                        (&stream).write_all(&buffer[..read])?;
                    }
                }
                _ => {
                    let wait = Wait::of(role);
                    stream.set_nonblocking(wait != Wait::Block)?;
                    let mut message = vec![0u8; size];
                    while read_message(&stream, &mut message, wait)? {
                        (&stream).write_all(&message)?;
                    }
                    Ok(())
                }
            }
        }
        other => bail!("unknown helper role {other:?}"),
    }
}

/// How a side waits for the next message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wait {
    /// A blocking read: the kernel wakes the reader.
    Block,
    /// Polls a non-blocking socket for up to [`SPIN`], then blocks.
    Spin,
    /// The same, yielding the CPU between polls.
    Yield,
}

impl Wait {
    fn of(role: &str) -> Wait {
        match role {
            "spin-echo" => Wait::Spin,
            "yield-echo" => Wait::Yield,
            _ => Wait::Block,
        }
    }
}

/// Fills `buf`, waiting as `wait` says (the socket is non-blocking unless
/// `wait` is [`Wait::Block`]); `false` on end of stream before the first byte.
fn read_message(stream: &UnixStream, buf: &mut [u8], wait: Wait) -> io::Result<bool> {
    let mut got = 0;
    let started = Instant::now();
    while got < buf.len() {
        let read = match (&*stream).read(&mut buf[got..]) {
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                if started.elapsed() < SPIN {
                    match wait {
                        Wait::Yield => std::thread::yield_now(),
                        _ => std::hint::spin_loop(),
                    }
                    continue;
                }
                stream.set_nonblocking(false)?;
                let read = (&*stream).read(&mut buf[got..]);
                stream.set_nonblocking(true)?;
                read
            }
            other => other,
        };
        match read {
            Ok(0) if got == 0 => return Ok(false),
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(read) => got += read,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(true)
}
