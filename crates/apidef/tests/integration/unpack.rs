//! The unpack cache of zip packages: one zip unpacked once for every function of it, and
//! once for gateways starting at once; a partial folder left by a killed unpack removed;
//! zip bombs (more than Lambda's 250 MB unzipped, too many entries, an entry longer than it
//! declares) refused quickly with nothing left behind.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use wsproxy_apidef::{Code, FunctionDef, Launch, LaunchOptions};
use zip::write::SimpleFileOptions;

/// Lambda's limit on a function's code unzipped.
const LIMIT: u64 = 262_144_000;

fn function(name: &str, zip: &Path) -> FunctionDef {
    FunctionDef {
        name: name.into(),
        resource: format!("{name}Function"),
        file: "template.yaml".into(),
        runtime: "provided.al2023".into(),
        handler: "bootstrap".into(),
        code: Code::Zip(zip.to_path_buf()),
        environment: BTreeMap::new(),
        timeout_secs: 3,
        memory_mb: 128,
    }
}

fn options(unpack_dir: &Path) -> LaunchOptions {
    LaunchOptions {
        python: None,
        node: None,
        unpack_dir: unpack_dir.to_path_buf(),
    }
}

/// A zip of an executable `bootstrap` and a data file.
fn app_zip(path: &Path) {
    let mut w = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let exe = SimpleFileOptions::default().unix_permissions(0o755);
    w.start_file("bootstrap", exe).unwrap();
    w.write_all(b"#!/bin/sh\nexit 0\n").unwrap();
    w.start_file("lib/data.txt", SimpleFileOptions::default())
        .unwrap();
    w.write_all(&[b'x'; 100_000]).unwrap();
    w.finish().unwrap();
}

/// The names in `dir`, sorted (none when it does not exist).
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|e| e.unwrap().file_name().into_string().unwrap())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// What `dir` holds beside its lock file.
fn unpacked(dir: &Path) -> Vec<String> {
    names(dir).into_iter().filter(|n| n != ".lock").collect()
}

fn working_dir(f: &FunctionDef, unpack_dir: &Path) -> PathBuf {
    Launch::for_function(f, &options(unpack_dir))
        .unwrap_or_else(|e| panic!("{}: {e}", f.name))
        .working_dir
}

#[test]
fn the_functions_of_one_zip_share_one_unpack() {
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("app.zip");
    app_zip(&zip);
    let cache = dir.path().join("cache");
    let folders: Vec<PathBuf> = ["connect", "disconnect", "sendmessage", "default", "auth"]
        .iter()
        .map(|name| working_dir(&function(name, &zip), &cache))
        .collect();
    assert!(folders.iter().all(|f| f == &folders[0]), "{folders:?}");
    assert_eq!(unpacked(&cache).len(), 1, "{:?}", names(&cache));
    assert_eq!(
        std::fs::read(folders[0].join("lib/data.txt"))
            .unwrap()
            .len(),
        100_000
    );
}

#[test]
fn gateways_starting_at_once_unpack_one_folder_and_leave_no_partial_one() {
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("app.zip");
    app_zip(&zip);
    let cache = dir.path().join("cache");
    let barrier = std::sync::Barrier::new(6);
    let folders: Vec<PathBuf> = std::thread::scope(|s| {
        let starts: Vec<_> = (0..6)
            .map(|i| {
                let (zip, cache, barrier) = (&zip, &cache, &barrier);
                s.spawn(move || {
                    barrier.wait();
                    working_dir(&function(&format!("f{i}"), zip), cache)
                })
            })
            .collect();
        starts.into_iter().map(|t| t.join().unwrap()).collect()
    });
    assert!(folders.iter().all(|f| f == &folders[0]), "{folders:?}");
    assert_eq!(unpacked(&cache).len(), 1, "{:?}", names(&cache));
    assert!(folders[0].join("bootstrap").is_file());
}

#[test]
fn a_partial_folder_left_by_a_killed_unpack_is_removed_not_used() {
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("app.zip");
    app_zip(&zip);
    let cache = dir.path().join("cache");
    let partial = cache.join(".partial-app-killed");
    std::fs::create_dir_all(partial.join("lib")).unwrap();
    std::fs::write(partial.join("lib/data.txt"), "half").unwrap();
    let at = working_dir(&function("f", &zip), &cache);
    assert!(!partial.exists(), "{:?}", names(&cache));
    assert_eq!(unpacked(&cache).len(), 1, "{:?}", names(&cache));
    assert_eq!(
        std::fs::read(at.join("lib/data.txt")).unwrap().len(),
        100_000
    );
}

/// Writes `len` zeros to the entry being written, a mebibyte at a time.
fn zeros(w: &mut zip::ZipWriter<std::fs::File>, len: u64) {
    let chunk = vec![0u8; 1 << 20];
    let mut left = len;
    while left > 0 {
        let n = left.min(chunk.len() as u64) as usize;
        w.write_all(&chunk[..n]).unwrap();
        left -= n as u64;
    }
}

/// Refuses `zip` and returns the error; nothing but the lock may be left in `cache`.
fn refused(zip: &Path, cache: &Path) -> String {
    let started = Instant::now();
    let e = Launch::for_function(&function("bomb", zip), &options(cache))
        .expect_err("refused")
        .to_string();
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "refused after {:?}",
        started.elapsed()
    );
    assert!(unpacked(cache).is_empty(), "{:?}", names(cache));
    assert!(
        e.contains("bombFunction") && e.contains(&zip.display().to_string()),
        "{e}"
    );
    e
}

#[test]
fn a_zip_bomb_past_lambdas_limit_is_refused_quickly_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let zip = dir.path().join("bomb.zip");
    let mut w = zip::ZipWriter::new(std::fs::File::create(&zip).unwrap());
    w.start_file("zeros.bin", SimpleFileOptions::default())
        .unwrap();
    zeros(&mut w, LIMIT + 1);
    w.finish().unwrap();
    let size = std::fs::metadata(&zip).unwrap().len();
    assert!(size < 2_000_000, "the bomb is small: {size} bytes");
    let e = refused(&zip, &cache);
    assert!(e.contains("262144000") && e.contains("250 MB"), "{e}");

    // Under the limit each, over it together.
    let zip = dir.path().join("bombs.zip");
    let mut w = zip::ZipWriter::new(std::fs::File::create(&zip).unwrap());
    for name in ["a.bin", "b.bin", "c.bin"] {
        w.start_file(name, SimpleFileOptions::default()).unwrap();
        zeros(&mut w, LIMIT / 3 + 1);
    }
    w.finish().unwrap();
    let e = refused(&zip, &cache);
    assert!(e.contains("262144000"), "{e}");
}

#[test]
fn a_zip_of_too_many_entries_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let zip = dir.path().join("many.zip");
    let mut w = zip::ZipWriter::new(std::fs::File::create(&zip).unwrap());
    let stored = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for i in 0..100_001 {
        w.start_file(format!("{i}"), stored).unwrap();
    }
    w.finish().unwrap();
    let e = refused(&zip, &cache);
    assert!(e.contains("100001 entries") && e.contains("100000"), "{e}");
}

#[test]
fn an_entry_longer_than_it_declares_is_refused_and_its_partial_folder_removed() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let zip = dir.path().join("liar.zip");
    let mut w = zip::ZipWriter::new(std::fs::File::create(&zip).unwrap());
    let stored = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    w.start_file("data.bin", stored).unwrap();
    w.write_all(&[b'a'; 4096]).unwrap();
    w.finish().unwrap();
    // Both headers now say 16 bytes (and a CRC of what those 16 bytes would be is not
    // needed: the reader stops at the declared size first).
    let mut bytes = std::fs::read(&zip).unwrap();
    let mut patched = 0;
    for (signature, at) in [(b"PK\x03\x04", 22), (b"PK\x01\x02", 24)] {
        let start = bytes
            .windows(4)
            .position(|w| w == signature)
            .expect("a header");
        bytes[start + at..start + at + 4].copy_from_slice(&16u32.to_le_bytes());
        patched += 1;
    }
    assert_eq!(patched, 2);
    std::fs::write(&zip, bytes).unwrap();
    let e = refused(&zip, &cache);
    assert!(e.contains("not a usable zip"), "{e}");
}
