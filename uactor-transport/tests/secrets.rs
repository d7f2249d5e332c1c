//! Secrets leave nothing behind: clones of a key share one copy of its
//! bytes, that copy is wiped before its memory goes back to the allocator,
//! and `Debug` shows no key byte.
//!
//! The allocator below looks, on this thread and only while told to, at
//! every block handed back to it, for a window of the secret: memory the
//! program still owns at that moment, so the check reads nothing freed.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use uactor_transport::{Authkey, Settings};

/// Bytes of the secret looked for: enough that no other block holds them
/// by chance.
const WINDOW: usize = 16;

struct Watching;

thread_local! {
    static LOOKING_FOR: Cell<Option<[u8; WINDOW]>> = const { Cell::new(None) };
    static FOUND: Cell<usize> = const { Cell::new(0) };
    static FREED: Cell<usize> = const { Cell::new(0) };
}

fn freeing(block: &[u8]) {
    let _ = LOOKING_FOR.try_with(|looking| {
        if let Some(window) = looking.get() {
            FREED.set(FREED.get() + 1);
            if block.windows(WINDOW).any(|bytes| bytes == window) {
                FOUND.set(FOUND.get() + 1);
            }
        }
    });
}

// SAFETY: allocation goes straight to the system allocator with the same
// arguments. A block is read only in `dealloc`, before it is handed back,
// while it is still allocated and `layout.size()` bytes long; the
// bookkeeping touches only const-initialised thread-locals, which neither
// allocate nor register destructors. `realloc` is the default one, which
// frees the old block through `dealloc`, so a key moved by a growing vector
// is seen too.
unsafe impl GlobalAlloc for Watching {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as received.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as received.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller hands back a live block of `layout.size()`
        // bytes, not yet freed.
        freeing(unsafe { std::slice::from_raw_parts(ptr, layout.size()) });
        // SAFETY: forwarded as received.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Watching = Watching;

/// Runs `drop_them` while watching freed blocks for `secret`'s first bytes;
/// returns how many blocks held them, and how many were freed.
fn freed_holding(secret: &[u8], drop_them: impl FnOnce()) -> (usize, usize) {
    let mut window = [0; WINDOW];
    window.copy_from_slice(&secret[..WINDOW]);
    FOUND.set(0);
    FREED.set(0);
    LOOKING_FOR.set(Some(window));
    drop_them();
    LOOKING_FOR.set(None);
    (FOUND.get(), FREED.get())
}

/// Whether `text` shows any of `secret`: as text, hex or a list of bytes.
fn shows(text: &str, secret: &[u8]) -> bool {
    let window = &secret[..WINDOW];
    let hex: String = window.iter().map(|byte| format!("{byte:02x}")).collect();
    let list = format!("{window:?}");
    let list = list.trim_matches(['[', ']']);
    text.contains(&hex)
        || text.contains(&hex.to_uppercase())
        || text.contains(list)
        || text.contains(&window.escape_ascii().to_string())
}

#[test]
fn an_authkey_is_shared_by_its_clones_wiped_when_dropped_and_never_shown() {
    let secret = *b"a secret of the process tree, 32";
    let key = Authkey::new(secret).unwrap();
    let clones: Vec<Authkey> = (0..3).map(|_| key.clone()).collect();
    for clone in &clones {
        assert_eq!(
            clone.as_bytes().as_ptr(),
            key.as_bytes().as_ptr(),
            "a clone copied the key's bytes"
        );
    }
    let shown = format!("{key:?} {clones:?}");
    assert!(!shows(&shown, &secret), "Debug shows the key: {shown}");

    let (found, freed) = freed_holding(&secret, move || {
        drop(clones);
        drop(key);
    });
    println!(
        "an authkey and 3 clones: one copy of the bytes; {freed} blocks freed on drop, \
         {found} still holding key bytes; Debug: {shown}"
    );
    assert_eq!(found, 0, "a freed block still held the authkey");

    let generated = Authkey::generate().unwrap();
    let secret = generated.as_bytes().to_vec();
    let (found, _) = freed_holding(&secret, move || drop(generated));
    assert_eq!(found, 0, "a freed block still held a generated authkey");
}

#[cfg(feature = "tls")]
#[test]
fn a_tls_private_key_is_wiped_when_dropped_and_never_shown() {
    use uactor_transport::tls::Tls;

    let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
    let der = certified.signing_key.serialize_der();
    // The private scalar of the PKCS#8 key: after `version 1, OCTET STRING
    // of 32 bytes`. (The public key is in the certificate too, and is no
    // secret.)
    let at = der
        .windows(5)
        .position(|bytes| bytes == [0x02, 0x01, 0x01, 0x04, 0x20])
        .expect("an EC private key")
        + 5;
    let scalar = der[at..at + 32].to_vec();

    let tls = Tls::new()
        .identity_pem(certified.cert.pem(), certified.signing_key.serialize_pem())
        .unwrap();
    let clone = tls.clone();
    let mut settings = Settings::default();
    settings.set(tls.clone());
    let shown = format!("{tls:?} {settings:?}");
    assert!(!shows(&shown, &scalar), "Debug shows the key: {shown}");
    assert!(shown.contains("key: Some"), "{shown}");

    let (found, freed) = freed_holding(&scalar, move || {
        drop(settings);
        drop(clone);
        drop(tls);
    });
    println!(
        "TLS settings with a key, cloned twice: {freed} blocks freed on drop, {found} still \
         holding key bytes; Debug: {shown}"
    );
    assert_eq!(found, 0, "a freed block still held the TLS private key");
}
