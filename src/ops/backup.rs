//! `egodaeyeo backup --out FILE` and `egodaeyeo restore FILE` for a SQLite deployment
//! (PostgreSQL is backed up with `pg_dump`, docs/operations.md).
//!
//! A backup is one tar file, readable by any tar, written with mode 0600 (it holds password
//! hashes, the token signing key and every chat):
//!
//! - `egodaeyeo.db`: a consistent copy of the database, taken while the server runs
//!   (`db::backup::snapshot_sqlite`, `VACUUM INTO`);
//! - `media/<key>`: every media file, when media are local (an S3 bucket keeps its own);
//! - `media-manifest.tsv`: every media object as `key<TAB>bytes<TAB>included|listed`;
//! - `BACKUP.json`: format, time, release, schema version and counts.
//!
//! Media keys are random and objects never change, so the media are copied before the database
//! snapshot and once more after it (only keys new since): whatever the snapshot refers to is in
//! the backup, save a photo uploaded and deleted again within those seconds.
use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

use crate::config::Config;
use crate::media::Media;

const FORMAT: u32 = 1;
const DB_ENTRY: &str = "egodaeyeo.db";
const MANIFEST_ENTRY: &str = "media-manifest.tsv";
const INFO_ENTRY: &str = "BACKUP.json";

#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct BackupInfo {
    pub format: u32,
    pub created_at: String,
    pub release: String,
    pub schema_version: i64,
    pub database_bytes: u64,
    /// `local` (files included) or `s3` (listed only).
    pub media_store: String,
    pub media_objects: usize,
    pub media_included: usize,
}

/// What `restore` did.
#[derive(Debug)]
pub struct Restored {
    pub info: BackupInfo,
    pub integrity: String,
    pub media_restored: usize,
    /// Objects of the manifest the media store does not have.
    pub media_missing: Vec<String>,
}

fn refuse_postgres(config: &Config, what: &str) -> anyhow::Result<()> {
    if config.database_url().starts_with("postgres") {
        bail!(
            "{what} covers SQLite deployments; this one uses PostgreSQL: use pg_dump -Fc and \
             pg_restore (docs/operations.md)"
        );
    }
    Ok(())
}

fn database_file(config: &Config) -> PathBuf {
    config.data_dir.join(DB_ENTRY)
}

/// A regular file's tar header: the size, mode 0600, the time.
fn header(size: u64) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.set_size(size);
    h.set_mode(0o600);
    h.set_mtime(crate::clock::system_ms().max(0) as u64 / 1000);
    h.set_entry_type(tar::EntryType::Regular);
    h
}

/// Takes a backup of the deployment configured in `config` (the running server's `DATA_DIR`
/// and `MEDIA_URL`) into `out`, atomically: `out` appears only once it is complete.
pub async fn backup(config: &Config, out: &Path) -> anyhow::Result<BackupInfo> {
    refuse_postgres(config, "egodaeyeo backup")?;
    let db_file = database_file(config);
    if !db_file.is_file() {
        bail!("no database at {}: is DATA_DIR right?", db_file.display());
    }
    if out.exists() {
        bail!("{} exists already: choose a new file name", out.display());
    }
    let partial = PathBuf::from(format!("{}.partial", out.display()));
    let snapshot = PathBuf::from(format!("{}.db-snapshot", out.display()));
    let _ = std::fs::remove_file(&snapshot);
    let result = write_backup(config, &db_file, &partial, &snapshot).await;
    let _ = std::fs::remove_file(&snapshot);
    match result {
        Ok(info) => {
            std::fs::rename(&partial, out)
                .with_context(|| format!("cannot move the backup to {}", out.display()))?;
            Ok(info)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            Err(e)
        }
    }
}

async fn write_backup(
    config: &Config,
    db_file: &Path,
    partial: &Path,
    snapshot: &Path,
) -> anyhow::Result<BackupInfo> {
    let file = {
        let mut o = std::fs::OpenOptions::new();
        o.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
        o.open(partial)
            .with_context(|| format!("cannot create {}", partial.display()))?
    };
    let mut tar = tar::Builder::new(std::io::BufWriter::new(file));
    let media = Media::from_config(config, "")?;
    let mut manifest: Vec<(String, u64, bool)> = Vec::new();
    let mut seen = HashSet::new();

    copy_media(&media, &mut tar, &mut manifest, &mut seen).await?;
    crate::db::backup::snapshot_sqlite(db_file, snapshot)
        .await
        .context("the database snapshot failed")?;
    let (integrity, schema_version) = crate::db::backup::check_sqlite(snapshot).await?;
    if integrity != "ok" {
        bail!("the snapshot fails its integrity check: {integrity}");
    }
    let database_bytes = std::fs::metadata(snapshot)?.len();
    let mut f = std::fs::File::open(snapshot)?;
    tar.append_data(&mut header(database_bytes), DB_ENTRY, &mut f)?;
    // Objects stored while the snapshot was taken.
    copy_media(&media, &mut tar, &mut manifest, &mut seen).await?;

    let mut text = String::new();
    for (key, size, included) in &manifest {
        let how = if *included { "included" } else { "listed" };
        text.push_str(&format!("{key}\t{size}\t{how}\n"));
    }
    tar.append_data(
        &mut header(text.len() as u64),
        MANIFEST_ENTRY,
        text.as_bytes(),
    )?;
    let info = BackupInfo {
        format: FORMAT,
        created_at: crate::clock::format_ms(crate::clock::system_ms()),
        release: env!("CARGO_PKG_VERSION").to_string(),
        schema_version,
        database_bytes,
        media_store: if media.is_local() { "local" } else { "s3" }.to_string(),
        media_objects: manifest.len(),
        media_included: manifest.iter().filter(|m| m.2).count(),
    };
    let json = serde_json::to_vec_pretty(&info)?;
    tar.append_data(&mut header(json.len() as u64), INFO_ENTRY, json.as_slice())?;
    let mut w = tar.into_inner()?;
    w.flush()?;
    w.into_inner()
        .map_err(|e| e.into_error())?
        .sync_all()
        .context("cannot sync the backup file")?;
    Ok(info)
}

/// Lists the media store and, when it is local, copies each object not copied yet.
async fn copy_media(
    media: &Media,
    tar: &mut tar::Builder<std::io::BufWriter<std::fs::File>>,
    manifest: &mut Vec<(String, u64, bool)>,
    seen: &mut HashSet<String>,
) -> anyhow::Result<()> {
    let mut objects = media.list().await.context("cannot list the media store")?;
    objects.sort();
    for (key, size) in objects {
        if seen.contains(&key) {
            continue;
        }
        let mut included = false;
        if media.is_local() {
            // Gone since it was listed (deleted meanwhile): nothing refers to it any more.
            let Some(bytes) = media.get(&key).await? else {
                continue;
            };
            tar.append_data(
                &mut header(bytes.len() as u64),
                format!("media/{key}"),
                &bytes[..],
            )?;
            included = true;
        }
        seen.insert(key.clone());
        manifest.push((key, size, included));
    }
    Ok(())
}

/// Restores `file` into the configured data dir, which must be empty or not exist yet, and the
/// included media into the configured media store; then checks the database's integrity and
/// that the store has every object of the manifest.
pub async fn restore(config: &Config, file: &Path) -> anyhow::Result<Restored> {
    refuse_postgres(config, "egodaeyeo restore")?;
    let dir = &config.data_dir;
    if let Ok(mut entries) = std::fs::read_dir(dir) {
        if entries.next().is_some() {
            bail!(
                "{} is not empty: restore only into an empty or new data dir (DATA_DIR)",
                dir.display()
            );
        }
    }
    let archive = std::fs::File::open(file)
        .with_context(|| format!("cannot open the backup {}", file.display()))?;
    let created = !dir.exists();
    std::fs::create_dir_all(dir)?;
    let result = unpack(config, archive).await;
    if result.is_err() {
        // Leave the data dir as it was found: empty (or absent), so a second try can run.
        if let Ok(entries) = std::fs::read_dir(dir) {
            for e in entries.flatten() {
                let p = e.path();
                let _ = if p.is_dir() {
                    std::fs::remove_dir_all(&p)
                } else {
                    std::fs::remove_file(&p)
                };
            }
        }
        if created {
            let _ = std::fs::remove_dir(dir);
        }
    }
    result
}

async fn unpack(config: &Config, archive: std::fs::File) -> anyhow::Result<Restored> {
    let db_file = database_file(config);
    let media = Media::from_config(config, "")?;
    let mut info: Option<BackupInfo> = None;
    let mut manifest = String::new();
    let mut has_db = false;
    let mut media_restored = 0;
    let mut tar = tar::Archive::new(std::io::BufReader::new(archive));
    for entry in tar.entries().context("not a backup file (tar)")? {
        let mut entry = entry.context("the backup file is damaged")?;
        let name = entry.path()?.to_string_lossy().to_string();
        if name == DB_ENTRY {
            let mut out = std::fs::File::create(&db_file)?;
            std::io::copy(&mut entry, &mut out)?;
            out.sync_all()?;
            has_db = true;
        } else if name == MANIFEST_ENTRY {
            std::io::Read::read_to_string(&mut entry, &mut manifest)?;
        } else if name == INFO_ENTRY {
            info = Some(serde_json::from_reader(&mut entry).context("BACKUP.json is unreadable")?);
        } else if let Some(key) = name.strip_prefix("media/") {
            if !crate::media::valid_key(key) {
                bail!("the backup holds an invalid media name: {name:?}");
            }
            let mut bytes = Vec::with_capacity(entry.size() as usize);
            std::io::Read::read_to_end(&mut entry, &mut bytes)?;
            media.put(key, bytes).await?;
            media_restored += 1;
        } else {
            bail!("the backup holds an unknown entry: {name:?}");
        }
    }
    let Some(info) = info else {
        bail!("not an egodaeyeo backup: BACKUP.json is missing");
    };
    if info.format != FORMAT {
        bail!("backup format {} is not known to this release", info.format);
    }
    if !has_db {
        bail!("the backup holds no database");
    }
    let (integrity, _) = crate::db::backup::check_sqlite(&db_file).await?;
    if integrity != "ok" {
        bail!("the restored database fails its integrity check: {integrity}");
    }
    let mut media_missing = Vec::new();
    for line in manifest.lines() {
        let key = line.split('\t').next().unwrap_or("");
        if crate::media::valid_key(key) && !media.exists(key).await? {
            media_missing.push(key.to_string());
        }
    }
    Ok(Restored {
        info,
        integrity,
        media_restored,
        media_missing,
    })
}
