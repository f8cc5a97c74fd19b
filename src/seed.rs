//! `egodaeyeo seed-demo`: a believable neighbourhood around 서교동 so a newcomer sees a living
//! marketplace. Deterministic and idempotent: a second run changes nothing.
use std::io::Cursor;

use anyhow::Context;
use image::{ImageBuffer, Rgb};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::accounts::model::{Role, SignupInput};
use crate::accounts::service as accounts;
use crate::accounts::store as accounts_store;
use crate::catalog::model::{NewItem, PriceUnit, Section};
use crate::catalog::service as catalog;
use crate::catalog::store as catalog_store;
use crate::clock::{DAY_MS, HOUR_MS};
use crate::domain::caller::AuthUser;
use crate::state::AppState;

pub const DEMO_PASSWORD: &str = "demo1234";
/// Marks a database that already has the demo data (settings table).
const SEEDED_KEY: &str = "demo_seeded";
const USERS: usize = 40;
const ITEMS: usize = 320;
const CENTER: &str = "1144066000"; // 서울특별시 마포구 서교동

const NAMES: &[&str] = &[
    "망원동주민",
    "연남산책",
    "합정고양이",
    "서교책방",
    "상수커피",
    "성산캠퍼",
    "공덕러너",
    "도화공구",
    "아현엄마",
    "신수동목수",
    "대흥자전거",
    "염리정원",
    "용강요리",
    "서강학생",
    "창전음악",
    "중동산악",
    "연희사진",
    "홍대기타",
    "망원시장",
    "월드컵런",
    "하늘공원",
    "난지캠핑",
    "상암개발",
    "성미산숲",
    "당인리",
    "와우산",
    "경의선숲",
    "양화진",
    "동교라떼",
    "노고산",
    "신촌버스",
    "이대앞",
    "합정책",
    "서교두부",
    "연남떡",
    "망원한강",
    "성산빵집",
    "상수맥주",
    "마포나루",
    "공덕시장",
];

/// (category slug, titles, description, unit, price range)
type Template = (
    &'static str,
    &'static [&'static str],
    &'static str,
    PriceUnit,
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
        ],
        "상태 좋아요. 충전기와 케이스 같이 드려요.",
        PriceUnit::Day,
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
        ],
        "필요할 때만 쓰시고 돌려주세요. 직접 가져가셔야 해요.",
        PriceUnit::Day,
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
        ],
        "주말 캠핑용으로 딱이에요. 사용 후 말려서 반납 부탁해요.",
        PriceUnit::Day,
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
        ],
        "이사나 가구 조립할 때 쓰세요. 비트 여러 개 있어요.",
        PriceUnit::Day,
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
        ],
        "깨끗하게 소독해서 드려요.",
        PriceUnit::Week,
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
        ],
        "세탁해서 드려요. 사이즈 확인하세요.",
        PriceUnit::Day,
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
        ],
        "밑줄 없어요. 천천히 읽고 돌려주세요.",
        PriceUnit::Week,
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
        ],
        "주말에 친구들이랑 놀기 좋아요.",
        PriceUnit::Day,
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
        ],
        "잘 작동해요. 사용법 알려드릴게요.",
        PriceUnit::Week,
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
            "캠핑 자전거",
        ],
        "운동 시작해 보실 분께 빌려드려요.",
        PriceUnit::Day,
        (3_000, 20_000),
    ),
    (
        "pets",
        &[
            "강아지 이동장",
            "고양이 캣타워",
            "펫 드라이룸",
            "반려견 유모차",
        ],
        "우리 강아지가 쓰던 거예요. 깨끗해요.",
        PriceUnit::Week,
        (3_000, 15_000),
    ),
    (
        "party",
        &["파티 풍선 세트", "생일 현수막", "와인잔 12개", "대형 쿨러"],
        "행사 끝나면 돌려주세요.",
        PriceUnit::Day,
        (2_000, 10_000),
    ),
    (
        "etc",
        &["캐리어 28인치", "여행용 어댑터", "우산 대형", "돋보기"],
        "필요하신 분 편하게 연락 주세요.",
        PriceUnit::Day,
        (0, 5_000),
    ),
];

/// Sets the state's clock to `ms`: the seed backdates accounts and items as it creates them.
fn set_clock(state: &AppState, ms: i64) {
    state.clock.advance_ms(ms - state.clock.now_ms());
}

/// Fills the neighbourhood through the same services the API uses (their validation, limits
/// and caches apply), with the clock set back to each account's and item's creation time.
pub async fn run(state: &AppState) -> anyhow::Result<String> {
    let db = &state.db;
    if db.setting(SEEDED_KEY).await?.is_some() {
        return Ok("demo data already present; nothing to do".into());
    }
    let mut rng = StdRng::seed_from_u64(20261124);
    let regions: Vec<String> = state
        .regions
        .within(CENTER, 3.0)
        .iter()
        .filter(|r| r.level == 3)
        .take(8)
        .map(|r| r.code.clone())
        .collect();
    let now = state.clock.now_ms();
    let result = fill(state, &mut rng, &regions, now).await;
    set_clock(state, now);
    let (users, items, bookmarks) = result?;
    db.setting_or_insert(SEEDED_KEY, &now.to_string()).await?;
    let total = catalog_store::count_items(db).await?;
    Ok(format!(
        "seeded {users} users (password {DEMO_PASSWORD}, e.g. demo01@egodaeyeo.test), {items} items ({total} in total), {bookmarks} bookmarks",
    ))
}

async fn fill(
    state: &AppState,
    rng: &mut StdRng,
    regions: &[String],
    now: i64,
) -> anyhow::Result<(usize, usize, usize)> {
    let mut users = Vec::new();
    for (i, name) in NAMES.iter().enumerate().take(USERS) {
        let email = format!("demo{:02}@egodaeyeo.test", i + 1);
        let region = &regions[i % regions.len()];
        let id = match accounts_store::by_email(&state.db, &email).await? {
            Some(u) => u.id,
            None => {
                set_clock(state, now - (90 - i as i64) * DAY_MS);
                let input = SignupInput {
                    email: email.clone(),
                    password: DEMO_PASSWORD.to_string(),
                    nickname: name.to_string(),
                    region_code: Some(region.clone()),
                };
                // Each demo neighbour "signs up" from its own address: the seeder is one
                // operator, not forty clients sharing one address's sign-up allowance.
                accounts::signup(state, input, &format!("seed:{i}"))
                    .await
                    .with_context(|| format!("creating {email}"))?
                    .user
                    .public
                    .id
            }
        };
        let user = AuthUser {
            id,
            role: Role::User,
            session: 0,
        };
        users.push((user, region.clone()));
    }
    let categories = catalog::categories(state).await?;
    let mut items = Vec::new();
    for n in 0..ITEMS {
        let (slug, titles, desc, unit, (lo, hi)) = CATALOG[n % CATALOG.len()];
        let Some(category) = categories.iter().find(|c| c.slug == slug) else {
            continue;
        };
        let (owner, region) = &users[rng.gen_range(0..users.len())];
        let section = if rng.gen_bool(0.8) {
            Section::Lend
        } else {
            Section::Borrow
        };
        let title = titles[rng.gen_range(0..titles.len())];
        let priced = rng.gen_bool(0.85);
        let price = priced.then(|| (rng.gen_range(lo..=hi) / 500) * 500);
        let input = NewItem {
            section,
            category_id: category.id,
            title: if section == Section::Borrow {
                format!("{title} 빌려요")
            } else {
                title.to_string()
            },
            description: if section == Section::Borrow {
                format!("{title} 며칠만 빌릴 수 있을까요? 조심히 쓰고 돌려드릴게요.")
            } else {
                desc.to_string()
            },
            price,
            price_unit: price.map(|_| unit),
            deposit: Some(if rng.gen_bool(0.3) {
                10_000 * rng.gen_range(1..=5)
            } else {
                0
            }),
            region_code: Some(region.clone()),
            min_days: None,
            max_days: None,
        };
        set_clock(
            state,
            now - rng.gen_range(0..60 * DAY_MS / HOUR_MS) * HOUR_MS,
        );
        let id = catalog::create(state, *owner, input).await?.summary.id;
        items.push(id);
        if section == Section::Lend {
            // Drawing and encoding is CPU work: off the async runtime.
            let seed: u64 = rng.gen();
            let (full, _) =
                tokio::task::spawn_blocking(move || photo(&mut StdRng::seed_from_u64(seed), n))
                    .await??;
            catalog::add_images(state, *owner, id, vec![full]).await?;
        }
    }
    set_clock(state, now);
    let mut bookmarks = 0;
    for (user, _) in &users {
        for _ in 0..rng.gen_range(2..10) {
            let item = items[rng.gen_range(0..items.len())];
            catalog::set_bookmark(state, *user, item, true).await?;
            bookmarks += 1;
        }
    }
    Ok((users.len(), items.len(), bookmarks))
}

/// A soft two-colour photo stand-in with a shape, as JPEG (full, thumbnail). Also used by the
/// load generator's seeding.
pub fn photo(rng: &mut StdRng, n: usize) -> anyhow::Result<(Vec<u8>, Vec<u8>)> {
    let a = [
        rng.gen_range(90..230u8),
        rng.gen_range(90..230u8),
        rng.gen_range(90..230u8),
    ];
    let b = [
        rng.gen_range(30..200u8),
        rng.gen_range(30..200u8),
        rng.gen_range(30..200u8),
    ];
    let size = 360u32;
    let (cx, cy, r) = (
        rng.gen_range(120..240) as i64,
        rng.gen_range(120..240) as i64,
        rng.gen_range(45..105) as i64,
    );
    let img = ImageBuffer::from_fn(size, size, |x, y| {
        let t = (x + y) as f32 / (2 * size) as f32;
        let mix = |i: usize| (a[i] as f32 * (1.0 - t) + b[i] as f32 * t) as u8;
        let (dx, dy) = (x as i64 - cx, y as i64 - cy);
        let inside = if n.is_multiple_of(2) {
            dx * dx + dy * dy < r * r
        } else {
            dx.abs() < r && dy.abs() < r * 2 / 3
        };
        if inside {
            Rgb([255 - mix(0) / 3, 255 - mix(1) / 3, 255 - mix(2) / 3])
        } else {
            Rgb([mix(0), mix(1), mix(2)])
        }
    });
    let encode = |img: &ImageBuffer<Rgb<u8>, Vec<u8>>| -> anyhow::Result<Vec<u8>> {
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut Cursor::new(&mut out), 80)
            .encode_image(img)?;
        Ok(out)
    };
    let thumb = image::imageops::resize(&img, 200, 200, image::imageops::FilterType::Triangle);
    Ok((encode(&img)?, encode(&thumb)?))
}
