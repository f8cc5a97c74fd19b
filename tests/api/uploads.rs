//! Uploads under attack: parts refused while they stream, images refused from their header,
//! a bounded decoding pool, stored files deleted with their rows, and the server's peak memory
//! under an upload flood (measured on the real binary in its own process).
use std::io::Cursor;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common::*;

/// A PNG of one colour, 16 bits per channel (RGB): tiny on the wire, 6 bytes per pixel decoded.
fn png16(w: u32, h: u32) -> Vec<u8> {
    let img = image::ImageBuffer::<image::Rgb<u16>, _>::from_pixel(
        w,
        h,
        image::Rgb([50_000, 20_000, 3_000]),
    );
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb16(img)
        .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn chunk(kind: &[u8], data: &[u8]) -> Vec<u8> {
    let mut out = (data.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let mut crc_input = kind.to_vec();
    crc_input.extend_from_slice(data);
    out.extend_from_slice(&crc32(&crc_input).to_be_bytes());
    out
}

/// A well-formed PNG header claiming `w`×`h` RGB at 16 bits, followed by pixel data that is not
/// valid zlib: decoding it would fail (400), so a 413 can only come from the header.
fn png16_header_only(w: u32, h: u32) -> Vec<u8> {
    let mut ihdr = w.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[16, 2, 0, 0, 0]); // 16-bit, truecolour, deflate, no filter, no interlace
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    out.extend(chunk(b"IHDR", &ihdr));
    out.extend(chunk(b"IDAT", b"definitely not zlib"));
    out.extend(chunk(b"IEND", b""));
    out
}

async fn status_of(app: &TestApp, url: &str) -> StatusCode {
    app.client.get(url).send().await.unwrap().status()
}

#[tokio::test]
async fn a_part_over_10_mb_is_refused_before_the_rest_of_the_body_is_sent() {
    let app = TestApp::spawn().await;
    let owner = app.signup("bigpart").await;
    let item = app.create_item(&owner, json!({})).await;
    // Raw HTTP: announce a 60 MB part, send 11 MB of it, then wait for the answer without
    // sending more. The route's own body limit (111 MB) is far away.
    let boundary = "XBOUNDARYX";
    let head = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"big.png\"\r\nContent-Type: image/png\r\n\r\n"
    );
    let tail = format!("\r\n--{boundary}--\r\n");
    let part = 60 * 1024 * 1024;
    let length = head.len() + part + tail.len();
    let addr = app.addr.trim_start_matches("http://");
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut rd, mut wr) = tcp.into_split();
    let request = format!(
        "POST /api/v1/items/{}/images HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {length}\r\n\r\n{head}",
        item["id"], owner.token
    );
    // The writer stops after 11 MB and keeps the connection open (no FIN) until the test ends.
    let writer = tokio::spawn(async move {
        let _ = wr.write_all(request.as_bytes()).await;
        let mb = vec![0x42u8; 1024 * 1024];
        for _ in 0..11 {
            if wr.write_all(&mb).await.is_err() {
                break;
            }
        }
        let _ = wr.flush().await;
        wr
    });
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    let read = tokio::time::timeout(Duration::from_secs(10), async {
        while !contains(&answer, b"\r\n\r\n") {
            match rd.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    assert!(
        read.is_ok(),
        "no answer while the rest of the part was still unsent"
    );
    writer.abort();
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    // And through an ordinary client, the whole 11 MB part: 413 in the contract's shape.
    let (s, b) = app
        .upload(
            Method::POST,
            &format!("/items/{}/images", item["id"]),
            &owner.token,
            vec![vec![0u8; 10 * 1024 * 1024 + 1]],
        )
        .await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{b}");
    assert_eq!(b["error"]["code"], "payload_too_large");
    app.stop().await;
}

#[tokio::test]
async fn an_image_that_would_decode_past_64_mib_is_refused_from_its_header() {
    let app = TestApp::spawn().await;
    let u = app.signup("headeronly").await;
    // 6300 × 6300 × 6 bytes = 227 MiB decoded, in a 90-byte file whose pixels are garbage.
    let (s, b) = app
        .upload(
            Method::PUT,
            "/me/avatar",
            &u.token,
            vec![png16_header_only(6300, 6300)],
        )
        .await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{b}");
    assert_eq!(b["error"]["code"], "payload_too_large");
    // The same garbage at a size we accept is decoded, and fails as unreadable: the 413 above
    // was decided before decoding.
    let (s, b) = app
        .upload(
            Method::PUT,
            "/me/avatar",
            &u.token,
            vec![png16_header_only(100, 100)],
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    // Just past the limit with real pixels: 3400 × 3400 × 6 bytes = 66.1 MiB.
    let item = app.create_item(&u, json!({})).await;
    let (s, b) = app
        .upload(
            Method::POST,
            &format!("/items/{}/images", item["id"]),
            &u.token,
            vec![png16(3400, 3400)],
        )
        .await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{b}");
    app.stop().await;
}

#[tokio::test]
async fn a_16_bit_png_within_the_limit_is_accepted_and_reencoded() {
    let app = TestApp::spawn().await;
    let u = app.signup("deepcolour").await;
    // 3300 × 3300 × 6 bytes = 62.3 MiB decoded: just inside the limit.
    let (s, b) = app
        .upload(Method::PUT, "/me/avatar", &u.token, vec![png16(3300, 3300)])
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let resp = app
        .client
        .get(b["avatar_url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["content-type"], "image/jpeg");
    let img = image::load_from_memory(&resp.bytes().await.unwrap()).unwrap();
    assert_eq!((img.width(), img.height()), (512, 512));
    let px = img.to_rgb8().get_pixel(256, 256).0;
    // 50000/65535, 20000/65535, 3000/65535 of full scale, in 8 bits.
    assert!(
        px[0].abs_diff(195) <= 4 && px[1].abs_diff(78) <= 4 && px[2].abs_diff(12) <= 4,
        "{px:?}"
    );
    app.stop().await;
}

#[tokio::test]
async fn deleting_an_image_or_its_item_deletes_the_stored_files() {
    let app = TestApp::spawn().await;
    let owner = app.signup("tidy").await;
    let item = app.create_item(&owner, json!({})).await;
    let path = format!("/items/{}/images", item["id"]);
    let (s, imgs) = app
        .upload(
            Method::POST,
            &path,
            &owner.token,
            vec![jpeg(800, 600), jpeg(640, 480), png(100, 100)],
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{imgs}");
    let urls = |img: &Value| {
        [
            img["url"].as_str().unwrap().to_string(),
            img["thumbnail_url"].as_str().unwrap().to_string(),
        ]
    };
    for img in imgs.as_array().unwrap() {
        for url in urls(img) {
            assert_eq!(status_of(&app, &url).await, StatusCode::OK, "{url}");
        }
    }
    let (s, _) = app
        .delete(
            &format!("{path}/{}", imgs[0]["id"]),
            Some(&owner.token),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    for url in urls(&imgs[0]) {
        assert_eq!(status_of(&app, &url).await, StatusCode::NOT_FOUND, "{url}");
    }
    for url in urls(&imgs[1]) {
        assert_eq!(status_of(&app, &url).await, StatusCode::OK, "{url}");
    }
    let (s, _) = app
        .delete(&format!("/items/{}", item["id"]), Some(&owner.token), None)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    for img in &imgs.as_array().unwrap()[1..] {
        for url in urls(img) {
            assert_eq!(status_of(&app, &url).await, StatusCode::NOT_FOUND, "{url}");
        }
    }
    // Nothing is left on disk under items/ either.
    let left: Vec<_> = std::fs::read_dir(app.data_dir.join("media/items"))
        .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "{left:?}");
    app.stop().await;
}

#[tokio::test]
async fn an_admin_deleting_an_item_deletes_its_files_too() {
    let app = TestApp::spawn().await;
    let owner = app.signup("seller").await;
    let admin = app.signup("moderator").await;
    app.make_admin(&admin).await;
    let item = app.create_item(&owner, json!({})).await;
    let (s, imgs) = app
        .upload(
            Method::POST,
            &format!("/items/{}/images", item["id"]),
            &owner.token,
            vec![jpeg(300, 200), jpeg(200, 300)],
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{imgs}");
    let (s, _) = app
        .delete(&format!("/items/{}", item["id"]), Some(&admin.token), None)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    for img in imgs.as_array().unwrap() {
        for field in ["url", "thumbnail_url"] {
            let url = img[field].as_str().unwrap();
            assert_eq!(status_of(&app, url).await, StatusCode::NOT_FOUND, "{url}");
        }
    }
    app.stop().await;
}

#[tokio::test]
async fn a_full_decoding_queue_answers_503_with_retry_after() {
    let db = fresh_database().await;
    let app = TestApp::spawn_with(db, None, |c| {
        c.image_threads = 1;
        c.image_queue = 1;
    })
    .await;
    let owner = app.signup("queued").await;
    let item = app.create_item(&owner, json!({})).await;
    // Two slow uploads' worth of work: one decoding, one waiting in the queue.
    let (release, wait) = std::sync::mpsc::channel::<()>();
    let wait = Arc::new(Mutex::new(wait));
    let mut jobs = Vec::new();
    for _ in 0..2 {
        let (w, s) = (wait.clone(), app.state.clone());
        jobs.push(tokio::spawn(async move {
            s.media
                .images
                .pool()
                .run(move || {
                    let _ = w.lock().unwrap().recv();
                })
                .await
        }));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for path in [format!("/items/{}/images", item["id"]), "/me/avatar".into()] {
        let method = if path == "/me/avatar" {
            Method::PUT
        } else {
            Method::POST
        };
        let form = reqwest::multipart::Form::new().part(
            "image",
            reqwest::multipart::Part::bytes(jpeg(50, 50)).file_name("a.jpg"),
        );
        let resp = app
            .client
            .request(method, format!("{}{path}", app.api))
            .bearer_auth(&owner.token)
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE, "{path}");
        let retry: u64 = resp.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!(retry >= 1);
        let b: Value = resp.json().await.unwrap();
        assert_eq!(b["error"]["code"], "unavailable");
    }
    release.send(()).unwrap();
    release.send(()).unwrap();
    for j in jobs {
        assert!(j.await.unwrap().is_ok());
    }
    let (s, b) = app
        .upload(
            Method::POST,
            &format!("/items/{}/images", item["id"]),
            &owner.token,
            vec![jpeg(50, 50)],
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "accepted again once drained: {b}");
    app.stop().await;
}

// ---- Peak memory of the real server binary under upload attacks ----

/// The server binary in its own process, killed when dropped (also when the test panics).
struct Server {
    child: Child,
    base: String,
    data_dir: std::path::PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

impl Server {
    async fn start(client: &reqwest::Client) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let data_dir = std::env::temp_dir().join(format!("egd-mem-{port}-{}", std::process::id()));
        // UPLOAD_ATTACK_BIN measures another build (e.g. an older commit) with the same attacks.
        let bin = std::env::var("UPLOAD_ATTACK_BIN")
            .unwrap_or_else(|_| env!("CARGO_BIN_EXE_egodaeyeo").to_string());
        let mut cmd = Command::new(bin);
        cmd.args(["serve", "--bind", &format!("127.0.0.1:{port}")])
            .env("DATA_DIR", &data_dir)
            .env("RATE_LIMIT", "off")
            .env("RUST_LOG", "error")
            .env_remove("DATABASE_URL")
            .env_remove("REDIS_URL")
            .env_remove("MEDIA_URL")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some(url) = fresh_database().await {
            cmd.env("DATABASE_URL", url);
        }
        let server = Server {
            child: cmd.spawn().expect("start the server binary"),
            base: format!("http://127.0.0.1:{port}"),
            data_dir,
        };
        for _ in 0..300 {
            if let Ok(r) = client.get(format!("{}/healthz", server.base)).send().await {
                if r.status().is_success() {
                    return server;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the server never answered /healthz");
    }

    fn status_kb(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix(field))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or_else(|| panic!("{field} in /proc/PID/status"))
    }

    /// Signs up and creates an item: returns the token and the item's images path.
    async fn owner(&self, client: &reqwest::Client, n: usize) -> (String, String) {
        let body: Value = client
            .post(format!("{}/api/v1/auth/signup", self.base))
            .json(&json!({"email": format!("mem{n}@example.com"), "password": PASSWORD, "nickname": format!("mem{n}"), "region_code": SEOGYO}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let token = body["access_token"]
            .as_str()
            .expect("signed up")
            .to_string();
        let item: Value = client
            .post(format!("{}/api/v1/items", self.base))
            .bearer_auth(&token)
            .json(&json!({"section": "lend", "category_id": 4, "title": "전동드릴", "description": "보쉬", "price": 5000, "price_unit": "day"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        (token, format!("/api/v1/items/{}/images", item["id"]))
    }
}

/// Sends `files` as one multipart request; the status, or 0 when the server cut the upload short
/// (it may close the connection after refusing a part early).
async fn send(
    client: &reqwest::Client,
    method: Method,
    url: String,
    token: &str,
    files: Vec<Arc<Vec<u8>>>,
) -> u16 {
    let mut form = reqwest::multipart::Form::new();
    for f in files {
        form = form.part(
            "image",
            reqwest::multipart::Part::bytes(f.as_ref().clone()).file_name("x"),
        );
    }
    match client
        .request(method, url)
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
    {
        Ok(r) => r.status().as_u16(),
        Err(_) => 0,
    }
}

struct Attack {
    name: &'static str,
    method: Method,
    avatar: bool,
    files: Vec<Arc<Vec<u8>>>,
    parallel: usize,
}

#[tokio::test]
async fn upload_attacks_keep_the_servers_peak_memory_bounded() {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .build()
        .unwrap();
    let avatar16 = Arc::new(png16(6300, 6300));
    let attacks = vec![
        Attack {
            name: "6300x6300 16-bit PNG avatar, once",
            method: Method::PUT,
            avatar: true,
            files: vec![avatar16.clone()],
            parallel: 1,
        },
        Attack {
            name: "6300x6300 16-bit PNG avatar, x4 in parallel",
            method: Method::PUT,
            avatar: true,
            files: vec![avatar16],
            parallel: 4,
        },
        Attack {
            name: "60 MB part on item images, x3 in parallel",
            method: Method::POST,
            avatar: false,
            files: vec![Arc::new(vec![0x42u8; 60 * 1024 * 1024])],
            parallel: 3,
        },
        Attack {
            name: "largest accepted (3300x3300 16-bit PNG), x4 in parallel",
            method: Method::POST,
            avatar: false,
            files: vec![Arc::new(png16(3300, 3300))],
            parallel: 4,
        },
        Attack {
            name: "40 parallel valid avatar uploads (3000x2000 JPEG)",
            method: Method::PUT,
            avatar: true,
            files: vec![Arc::new(jpeg(3000, 2000))],
            parallel: 40,
        },
    ];
    // Above the idle server (signed up, argon2 warmed). The unbounded pipeline peaked at
    // hundreds of MB above idle on the first attack; the bounded one stays within tens.
    const BOUND_KB: u64 = 150 * 1024;
    let mut report = Vec::new();
    for (n, attack) in attacks.into_iter().enumerate() {
        let server = Server::start(&client).await;
        let (token, images) = server.owner(&client, n).await;
        let idle = server.status_kb("VmHWM:");
        let url = if attack.avatar {
            format!("{}/api/v1/me/avatar", server.base)
        } else {
            format!("{}{images}", server.base)
        };
        let sends = (0..attack.parallel).map(|_| {
            send(
                &client,
                attack.method.clone(),
                url.clone(),
                &token,
                attack.files.clone(),
            )
        });
        let mut statuses = futures_util::future::join_all(sends).await;
        statuses.sort_unstable();
        statuses.dedup();
        let peak = server.status_kb("VmHWM:");
        eprintln!(
            "{}: idle {} MB, peak {} MB (+{} MB), statuses {statuses:?}",
            attack.name,
            idle / 1024,
            peak / 1024,
            (peak - idle) / 1024
        );
        report.push((attack.name, idle, peak));
    }
    for (name, idle, peak) in report {
        assert!(
            peak - idle < BOUND_KB,
            "{name}: peak {} MB is {} MB above idle",
            peak / 1024,
            (peak - idle) / 1024
        );
    }
}
