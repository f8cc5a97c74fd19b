//! `loadgen seed`: a benchmark-sized neighbourhood (default 1,000 users, 10,000 items) written
//! with multi-row INSERTs inside one transaction per table, through `egodaeyeo::db::Db`.
//! Same schema and same derived columns as the store functions produce (FTS rows come from the
//! SQLite triggers, `thumb_key` from the first image, `bookmark_count` from the bookmarks).
use std::time::Instant;

use anyhow::{bail, Context};
use egodaeyeo::db::{Backend, Db};
use egodaeyeo::media::Media;
use egodaeyeo::regions::{haversine_km, Regions};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sqlx::Row;

use crate::DbArgs;

pub const CENTER: &str = "1144066000"; // 서울특별시 마포구 서교동
pub const PASSWORD: &str = "bench1234";
const DAY_MS: i64 = 24 * 3600 * 1000;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub db: DbArgs,
    #[arg(long, default_value_t = 1000)]
    pub users: usize,
    #[arg(long, default_value_t = 10000)]
    pub items: usize,
    /// Number of 동 (nearest to 서교동 first) the users live in.
    #[arg(long, default_value_t = 10)]
    pub regions: usize,
    /// Bookmarks per user are uniform in 0..=2×this.
    #[arg(long, default_value_t = 4)]
    pub bookmarks: usize,
    #[arg(long, default_value_t = 20261124)]
    pub rng_seed: u64,
}

/// (category slug, titles, description lines, price unit, price range)
type Template = (
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
    &'static str,
    (i64, i64),
);
const CATALOG: &[Template] = &[
    (
        "digital",
        &[
            "미러리스 카메라",
            "빔프로젝터",
            "닌텐도 스위치",
            "아이패드 프로",
            "액션캠 고프로",
            "블루투스 스피커",
            "DSLR 망원렌즈",
            "노트북 거치대",
            "무선 마이크",
        ],
        &[
            "상태 좋아요. 충전기와 케이스 같이 드려요.",
            "여행 가실 때 쓰기 좋아요.",
            "사용법 간단히 알려드려요.",
        ],
        "day",
        (5_000, 30_000),
    ),
    (
        "furniture",
        &[
            "접이식 테이블",
            "캠핑 의자 2개",
            "원목 사다리",
            "행거 스탠드",
            "좌식 책상",
            "접이식 매트리스",
        ],
        &[
            "필요할 때만 쓰시고 돌려주세요.",
            "직접 가져가셔야 해요. 차 있으시면 좋아요.",
        ],
        "day",
        (2_000, 10_000),
    ),
    (
        "camping",
        &[
            "4인용 텐트",
            "코베아 버너",
            "아이스박스 50L",
            "타프 세트",
            "침낭",
            "캠핑 랜턴",
            "화로대",
            "캠핑 의자",
        ],
        &[
            "주말 캠핑용으로 딱이에요.",
            "사용 후 말려서 반납 부탁해요.",
            "구성품 빠짐없이 있어요.",
        ],
        "day",
        (5_000, 25_000),
    ),
    (
        "tools",
        &[
            "전동드릴",
            "충전 임팩트 드릴",
            "타카",
            "공구 세트",
            "레이저 수평계",
            "전동 드라이버",
            "사다리",
            "원형톱",
            "해머드릴",
        ],
        &[
            "이사나 가구 조립할 때 쓰세요.",
            "비트 여러 개 있어요.",
            "배터리 두 개 드려요.",
        ],
        "day",
        (3_000, 15_000),
    ),
    (
        "kids",
        &[
            "유모차",
            "아기 카시트",
            "유아 자전거",
            "바운서",
            "아기 욕조",
            "어린이 킥보드",
            "아기 침대",
        ],
        &["깨끗하게 소독해서 드려요.", "아이가 커서 안 써요."],
        "week",
        (5_000, 30_000),
    ),
    (
        "fashion",
        &[
            "정장 한 벌",
            "한복 대여",
            "등산화 270",
            "파티 드레스",
            "스키복 상하의",
            "웨딩 슈즈",
        ],
        &["세탁해서 드려요.", "사이즈 확인하세요."],
        "day",
        (5_000, 20_000),
    ),
    (
        "books",
        &[
            "토익 교재 세트",
            "그림책 20권",
            "만화책 전권",
            "요리책",
            "여행 가이드북",
            "자격증 수험서",
        ],
        &["밑줄 없어요.", "천천히 읽고 돌려주세요."],
        "week",
        (0, 5_000),
    ),
    (
        "hobby",
        &[
            "보드게임 카탄",
            "젠가",
            "통기타",
            "전자 키보드",
            "퍼즐 1000피스",
            "플레이스테이션5",
            "재봉틀",
        ],
        &["주말에 친구들이랑 놀기 좋아요.", "설명서 같이 드려요."],
        "day",
        (2_000, 15_000),
    ),
    (
        "appliances",
        &[
            "제습기",
            "스팀 다리미",
            "에어프라이어",
            "음식물 처리기",
            "서큘레이터",
            "가습기",
            "로봇청소기",
            "전기 그릴",
        ],
        &[
            "잘 작동해요.",
            "사용법 알려드릴게요.",
            "필터 새로 갈았어요.",
        ],
        "week",
        (5_000, 25_000),
    ),
    (
        "sports",
        &[
            "로드 자전거",
            "테니스 라켓",
            "요가 매트",
            "스노우보드",
            "골프채 세트",
            "인라인 스케이트",
            "덤벨 세트",
        ],
        &[
            "운동 시작해 보실 분께 빌려드려요.",
            "한두 번 써 보고 결정하세요.",
        ],
        "day",
        (3_000, 20_000),
    ),
    (
        "pets",
        &[
            "강아지 이동장",
            "고양이 캣타워",
            "펫 드라이룸",
            "반려견 유모차",
            "자동 급식기",
        ],
        &["우리 강아지가 쓰던 거예요.", "깨끗하게 빨았어요."],
        "week",
        (3_000, 15_000),
    ),
    (
        "party",
        &[
            "파티 풍선 세트",
            "생일 현수막",
            "와인잔 12개",
            "대형 쿨러",
            "포토존 배경",
            "블루투스 노래방 마이크",
        ],
        &["행사 끝나면 돌려주세요.", "생일파티 하기 좋아요."],
        "day",
        (2_000, 10_000),
    ),
    (
        "etc",
        &[
            "캐리어 28인치",
            "여행용 어댑터",
            "우산 대형",
            "돋보기",
            "휴대용 선풍기",
        ],
        &[
            "필요하신 분 편하게 연락 주세요.",
            "급하게 필요하시면 말씀 주세요.",
        ],
        "day",
        (0, 5_000),
    ),
];

const NAME_PARTS: &[&str] = &[
    "망원", "연남", "합정", "서교", "상수", "성산", "공덕", "도화", "아현", "신수", "대흥", "염리",
    "연희", "동교", "창전", "노고",
];

/// Runs `sql_head VALUES (...), (...)` for rows of `cols` values each, chunked, in `tx`.
async fn insert_rows(
    backend: Backend,
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    sql_head: &str,
    sql_tail: &str,
    cols: usize,
    rows: &[Vec<Val>],
) -> anyhow::Result<Vec<i64>> {
    let mut ids = Vec::with_capacity(rows.len());
    let per_chunk = (30_000 / cols).min(500);
    for chunk in rows.chunks(per_chunk) {
        let mut sql = format!(
            "{sql_head} VALUES {}",
            egodaeyeo::db::row_values(backend, chunk.len(), cols)
        );
        sql.push(' ');
        sql.push_str(sql_tail);
        let mut q = sqlx::query(&sql);
        for row in chunk {
            for v in row {
                q = match v {
                    Val::I(i) => q.bind(*i),
                    Val::OI(i) => q.bind(*i),
                    Val::S(s) => q.bind(s.clone()),
                    Val::OS(s) => q.bind(s.clone()),
                };
            }
        }
        if sql_tail.contains("RETURNING") {
            for r in q.fetch_all(&mut **tx).await? {
                ids.push(r.try_get::<i64, _>(0)?);
            }
        } else {
            q.execute(&mut **tx).await?;
        }
    }
    Ok(ids)
}

#[derive(Clone)]
enum Val {
    I(i64),
    OI(Option<i64>),
    S(String),
    OS(Option<String>),
}

pub async fn run(a: Args) -> anyhow::Result<()> {
    let started = Instant::now();
    let config = a.db.config();
    std::fs::create_dir_all(&config.data_dir)?;
    let db = Db::connect(&config.database_url()).await?;
    db.migrate().await?;
    let existing: i64 = sqlx::query("SELECT COUNT(*) FROM users")
        .fetch_one(&db.read)
        .await?
        .try_get(0)?;
    if existing > 0 {
        bail!("database already has {existing} users; seed wants a fresh database");
    }
    let mut rng = StdRng::seed_from_u64(a.rng_seed);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_millis() as i64;

    // The 동 nearest to 서교동.
    let all = Regions::load();
    let center = all
        .get(CENTER)
        .context("서교동 missing from regions")?
        .clone();
    let mut near: Vec<_> = all
        .within(CENTER, 5.0)
        .into_iter()
        .filter(|r| r.level == 3)
        .collect();
    near.sort_by(|x, y| haversine_km(&center, x).total_cmp(&haversine_km(&center, y)));
    let regions: Vec<String> = near
        .iter()
        .take(a.regions)
        .map(|r| r.code.clone())
        .collect();
    println!(
        "regions: {}",
        near.iter()
            .take(a.regions)
            .map(|r| format!("{} {}", r.code, r.short))
            .collect::<Vec<_>>()
            .join(", ")
    );

    let hash = egodaeyeo::accounts::service::hash_password(
        &egodaeyeo::accounts::hashing::pool(),
        PASSWORD.to_string(),
    )
    .await
    .map_err(|e| anyhow::anyhow!("hashing: {e}"))?;

    // Users.
    let mut tx = db.write.begin().await?;
    let user_rows: Vec<Vec<Val>> = (0..a.users)
        .map(|i| {
            let nick = format!("{}{:04}", NAME_PARTS[i % NAME_PARTS.len()], i);
            vec![
                Val::S(format!("user{i:04}@bench.test")),
                Val::S(hash.clone()),
                Val::S(nick),
                Val::S(regions[i % regions.len()].clone()),
                Val::I(now - 200 * DAY_MS + i as i64 * 1000),
            ]
        })
        .collect();
    let user_ids = insert_rows(
        db.backend,
        &mut tx,
        "INSERT INTO users (email, password_hash, nickname, region_code, created_at)",
        "RETURNING id",
        5,
        &user_rows,
    )
    .await?;
    tx.commit().await?;
    let user_region: Vec<(i64, String)> = user_ids
        .iter()
        .enumerate()
        .map(|(i, id)| (*id, regions[i % regions.len()].clone()))
        .collect();

    // Photos shared by many items (the bench never downloads them, the detail lists them).
    let media = Media::from_config(&config, "http://127.0.0.1:8000")?;
    let mut photos = Vec::new();
    for n in 0..16 {
        let (full, thumb) = egodaeyeo::seed::photo(&mut rng, n)?;
        let key = format!("items/bench-{n:02}.jpg");
        let tkey = format!("items/bench-{n:02}-t.jpg");
        media.put(&key, full).await?;
        media.put(&tkey, thumb).await?;
        photos.push((key, tkey));
    }

    // Items, oldest first so ids grow with created_at as they do in real use.
    let cats: Vec<(i64, String)> = sqlx::query("SELECT id, slug FROM categories")
        .fetch_all(&db.read)
        .await?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect::<sqlx::Result<_>>()?;
    let mut created: Vec<i64> = (0..a.items)
        .map(|_| now - rng.gen_range(0..180 * DAY_MS))
        .collect();
    created.sort_unstable();
    let mut item_rows = Vec::with_capacity(a.items);
    let mut item_images: Vec<Vec<(String, String)>> = Vec::with_capacity(a.items);
    for (n, at) in created.iter().enumerate() {
        let (slug, titles, descs, unit, (lo, hi)) = CATALOG[rng.gen_range(0..CATALOG.len())];
        let cat = cats
            .iter()
            .find(|c| c.1 == slug)
            .map(|c| c.0)
            .context("category")?;
        let (owner, region) = &user_region[rng.gen_range(0..user_region.len())];
        let lend = rng.gen_bool(0.8);
        let t = titles[rng.gen_range(0..titles.len())];
        let title = if lend {
            t.to_string()
        } else {
            format!("{t} 빌려요")
        };
        let description = if lend {
            let mut d = descs[rng.gen_range(0..descs.len())].to_string();
            d.push(' ');
            d.push_str(descs[rng.gen_range(0..descs.len())]);
            d.push_str(&format!(" {t} 필요하시면 채팅 주세요. (#{n})"));
            d
        } else {
            format!("{t} 며칠만 빌릴 수 있을까요? 조심히 쓰고 돌려드릴게요.")
        };
        let price = rng
            .gen_bool(0.85)
            .then(|| (rng.gen_range(lo..=hi) / 500) * 500);
        let images: Vec<(String, String)> = if lend {
            (0..rng.gen_range(1..=3))
                .map(|_| photos[rng.gen_range(0..photos.len())].clone())
                .collect()
        } else {
            Vec::new()
        };
        // The search bigrams, as the server's own insert stores them.
        let grams = egodaeyeo::db::grams_column(&title, &description);
        item_rows.push(vec![
            Val::I(*owner),
            Val::S(if lend { "lend" } else { "borrow" }.into()),
            Val::I(cat),
            Val::S(title),
            Val::S(description),
            Val::OI(price),
            Val::OS(price.map(|_| unit.to_string())),
            Val::I(if rng.gen_bool(0.3) {
                10_000 * rng.gen_range(1..=5)
            } else {
                0
            }),
            Val::S(region.clone()),
            Val::I(i64::from(rng.gen_bool(0.01))),
            Val::OS(images.first().map(|i| i.1.clone())),
            Val::I(*at),
            Val::I(*at),
            Val::S(grams),
        ]);
        item_images.push(images);
    }
    let mut tx = db.write.begin().await?;
    let item_ids = insert_rows(
        db.backend,
        &mut tx,
        "INSERT INTO items (owner_id, section, category_id, title, description, price, price_unit, deposit, region_code, hidden, thumb_key, created_at, updated_at, grams)",
        "RETURNING id",
        14,
        &item_rows,
    )
    .await?;
    let mut image_rows = Vec::new();
    for (id, imgs) in item_ids.iter().zip(&item_images) {
        for (pos, (key, thumb)) in imgs.iter().enumerate() {
            image_rows.push(vec![
                Val::I(*id),
                Val::I(pos as i64),
                Val::S(key.clone()),
                Val::S(thumb.clone()),
                Val::I(now),
            ]);
        }
    }
    insert_rows(
        db.backend,
        &mut tx,
        "INSERT INTO item_images (item_id, position, key, thumb_key, created_at)",
        "",
        5,
        &image_rows,
    )
    .await?;

    // Bookmarks and the counters they drive.
    let mut bookmark_rows = Vec::new();
    for (user, _) in &user_region {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..rng.gen_range(0..=2 * a.bookmarks) {
            let item = item_ids[rng.gen_range(0..item_ids.len())];
            if seen.insert(item) {
                bookmark_rows.push(vec![
                    Val::I(*user),
                    Val::I(item),
                    Val::I(now - rng.gen_range(0..30 * DAY_MS)),
                ]);
            }
        }
    }
    insert_rows(
        db.backend,
        &mut tx,
        "INSERT INTO bookmarks (user_id, item_id, created_at)",
        "",
        3,
        &bookmark_rows,
    )
    .await?;
    sqlx::query(
        "UPDATE items SET bookmark_count = (SELECT COUNT(*) FROM bookmarks b WHERE b.item_id = items.id) \
         WHERE id IN (SELECT item_id FROM bookmarks)",
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    if db.backend == Backend::Postgres {
        // What autovacuum would do shortly anyway; on SQLite the server runs ANALYZE when it starts.
        sqlx::query("ANALYZE").execute(&db.write).await?;
    }
    println!(
        "seeded {} users (password {PASSWORD}, user0000@bench.test …), {} items ({} images), {} bookmarks in {:.1}s ({:?})",
        user_ids.len(),
        item_ids.len(),
        image_rows.len(),
        bookmark_rows.len(),
        started.elapsed().as_secs_f64(),
        db.backend
    );
    println!(
        "item ids {}..={}",
        item_ids.first().unwrap_or(&0),
        item_ids.last().unwrap_or(&0)
    );
    Ok(())
}
