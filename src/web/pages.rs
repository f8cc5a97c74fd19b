//! HTML page handlers: parse, call the same service functions as the API, render a template.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::view::{self, Card, RentalView, ReviewView};
use super::QueryMap;
use super::{assets, session, Ctx};
use crate::accounts::service as accounts;
use crate::app::AppState;
use crate::catalog::model::{Category, Image, ItemStatus, Section};
use crate::catalog::model::{ItemFilter, StatusFilter};
use crate::catalog::service as catalog;
use crate::domain::page::{Bounded, PageReq};
use crate::http::AppError;
use crate::rentals::model::{RentalFilter, RentalState};
use crate::{chat, moderation, notifications, rentals};

const PER_PAGE: i64 = 12;

/// What the shared layout needs: who is signed in, the CSRF token, where we are.
pub struct Layout {
    pub title: String,
    pub user_id: i64,
    pub admin: bool,
    pub csrf: String,
    pub here: String,
}

impl Layout {
    pub fn new(ctx: &Ctx, title: &str) -> Layout {
        Layout {
            title: title.to_string(),
            user_id: ctx.user.map(|u| u.id).unwrap_or(0),
            admin: ctx.user.is_some_and(|u| u.is_admin()),
            csrf: ctx.csrf.clone(),
            here: session::encode(&ctx.path),
        }
    }
    pub fn asset(&self, name: &str) -> String {
        assets::url(name)
    }
    pub fn signed_in(&self) -> bool {
        self.user_id != 0
    }
}

pub fn render<T: Template>(ctx: &Ctx, status: StatusCode, t: &T) -> Response {
    match t.render() {
        Ok(html) => ctx.html(status, html),
        Err(e) => {
            tracing::error!(error = %e, "template error");
            ctx.html(
                StatusCode::INTERNAL_SERVER_ERROR,
                "<!doctype html><html lang=\"ko\"><meta charset=\"utf-8\"><title>오류</title><p>잠시 문제가 생겼어요.</p></html>".into(),
            )
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    l: Layout,
    status: u16,
    heading: String,
    message: String,
}

pub fn render_error(ctx: &Ctx, status: StatusCode, heading: &str, message: &str) -> Response {
    let page = ErrorPage {
        l: Layout::new(ctx, heading),
        status: status.as_u16(),
        heading: heading.to_string(),
        message: message.to_string(),
    };
    render(ctx, status, &page)
}

pub async fn not_found(ctx: Ctx) -> Response {
    render_error(
        &ctx,
        StatusCode::NOT_FOUND,
        "페이지를 찾을 수 없어요",
        "주소가 바뀌었거나 삭제된 페이지예요. 홈에서 다른 물건을 둘러보세요.",
    )
}

fn parse_id(ctx: &Ctx, raw: &str) -> Result<i64, Response> {
    raw.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| ctx.fail(AppError::not_found()))
}

fn query_string(pairs: &[(&str, &str)]) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        if !v.is_empty() {
            s.append_pair(k, v);
        }
    }
    let q = s.finish();
    if q.is_empty() {
        "/".into()
    } else {
        format!("/?{q}")
    }
}

pub struct Chip {
    pub label: String,
    pub href: String,
    pub active: bool,
}

pub struct PageLink {
    pub num: i64,
    pub href: String,
    pub current: bool,
}

fn pagination(
    total: i64,
    page: i64,
    href: impl Fn(i64) -> String,
) -> (Vec<PageLink>, String, String) {
    let pages = ((total + PER_PAGE - 1) / PER_PAGE).max(1);
    let from = (page - 2).max(1);
    let to = (from + 4).min(pages);
    let links = if pages > 1 {
        (from..=to)
            .map(|n| PageLink {
                num: n,
                href: href(n),
                current: n == page,
            })
            .collect()
    } else {
        Vec::new()
    };
    let prev = if page > 1 {
        href(page - 1)
    } else {
        String::new()
    };
    let next = if page < pages {
        href(page + 1)
    } else {
        String::new()
    };
    (links, prev, next)
}

// ---------------------------------------------------------------- home

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    l: Layout,
    nickname: String,
    region: String,
    has_region: bool,
    section: String,
    category: String,
    q: String,
    range: String,
    sections: Vec<Chip>,
    cats: Vec<Chip>,
    ranges: Vec<Chip>,
    cards: Vec<Card>,
    total: i64,
    pages: Vec<PageLink>,
    prev: String,
    next: String,
}

const RANGES: &[(&str, &str, i64)] = &[
    ("mine", "내 동네", 2),
    ("near", "가까운 동네", 5),
    ("far", "먼 동네", 15),
    ("all", "전체", 0),
];

pub async fn home(
    State(state): State<AppState>,
    ctx: Ctx,
    p: QueryMap,
) -> Result<Response, Response> {
    let now = state.clock.now_ms();
    let me = match ctx.user {
        Some(u) => Some(
            accounts::private_user(&state, u.id)
                .await
                .map_err(|e| ctx.fail(e))?,
        ),
        None => None,
    };
    let categories = catalog::categories(&state).await.map_err(|e| ctx.fail(e))?;
    let section = if p.str("section") == Some("borrow") {
        "borrow"
    } else {
        "lend"
    };
    let category = p
        .str("category")
        .filter(|c| categories.iter().any(|k| k.slug == *c))
        .unwrap_or("")
        .to_string();
    let q: String = p.str("q").unwrap_or("").chars().take(100).collect();
    let region = me.as_ref().and_then(|m| m.public.region.clone());
    let default_range = if region.is_some() { "near" } else { "all" };
    let range = p
        .str("range")
        .filter(|r| RANGES.iter().any(|(k, _, _)| k == r))
        .filter(|_| region.is_some())
        .unwrap_or(default_range)
        .to_string();
    let page = p
        .str("page")
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(1)
        .clamp(1, 10_000);
    let radius = RANGES
        .iter()
        .find(|(k, _, _)| *k == range)
        .map(|r| r.2)
        .unwrap_or(0);
    let mut filter = ItemFilter {
        section: Some(if section == "borrow" {
            Section::Borrow
        } else {
            Section::Lend
        }),
        category: Some(category.clone()).filter(|c| !c.is_empty()),
        q: Some(q.clone()).filter(|q| !q.is_empty()),
        ..Default::default()
    };
    if let (Some(r), true) = (&region, radius > 0) {
        filter.region = Some(r.code.clone());
        filter.radius_km = Bounded::new(radius).ok();
    }
    let req = PageReq {
        page,
        per_page: PER_PAGE,
    };
    let list = catalog::list(&state, ctx.user, &filter, req)
        .await
        .map_err(|e| ctx.fail(e))?;
    let range_param = if range == default_range {
        ""
    } else {
        range.as_str()
    };
    let link = |sec: &str, cat: &str, rng: &str, pg: i64| {
        let pg = if pg > 1 {
            pg.to_string()
        } else {
            String::new()
        };
        let sec = if sec == "lend" { "" } else { sec };
        query_string(&[
            ("section", sec),
            ("category", cat),
            ("q", &q),
            ("range", rng),
            ("page", &pg),
        ])
    };
    let sections = [("lend", "빌려드려요"), ("borrow", "빌려요")]
        .iter()
        .map(|(k, label)| Chip {
            label: label.to_string(),
            href: link(k, &category, range_param, 1),
            active: *k == section,
        })
        .collect();
    let mut cats = vec![Chip {
        label: "전체".into(),
        href: link(section, "", range_param, 1),
        active: category.is_empty(),
    }];
    cats.extend(categories.iter().map(|c| Chip {
        label: c.name.clone(),
        href: link(section, &c.slug, range_param, 1),
        active: c.slug == category,
    }));
    let ranges = RANGES
        .iter()
        .map(|(k, label, km)| Chip {
            label: if *km > 0 {
                format!("{label} {km}km")
            } else {
                label.to_string()
            },
            href: link(
                section,
                &category,
                if *k == default_range { "" } else { k },
                1,
            ),
            active: *k == range,
        })
        .collect();
    let (pages, prev, next) = pagination(list.total, page, |n| {
        link(section, &category, range_param, n)
    });
    let page = HomePage {
        l: Layout::new(&ctx, "이거대여 · 우리 동네 물건 빌리기"),
        nickname: me
            .as_ref()
            .map(|m| m.public.nickname.clone())
            .unwrap_or_default(),
        region: view::region_name(&region),
        has_region: region.is_some(),
        section: section.to_string(),
        category,
        q: q.clone(),
        range: range_param.to_string(),
        sections,
        cats,
        ranges,
        cards: list.items.iter().map(|s| view::card(now, s)).collect(),
        total: list.total,
        pages,
        prev,
        next,
    };
    Ok(render(&ctx, StatusCode::OK, &page))
}

// ---------------------------------------------------------------- item

#[derive(Template)]
#[template(path = "item.html")]
struct ItemPage {
    l: Layout,
    id: i64,
    title: String,
    borrow: bool,
    category: String,
    category_slug: String,
    region: String,
    ago: String,
    price: String,
    price_value: i64,
    unit_ms: i64,
    deposit: String,
    description: String,
    images: Vec<Image>,
    owner_id: i64,
    owner: String,
    owner_avatar: String,
    owner_region: String,
    owner_score: String,
    owner_deleted: bool,
    bookmarked: bool,
    bookmarks: i64,
    chats: i64,
    views: i64,
    status: String,
    hidden: bool,
    /// An admin hid it: the owner's show/hide toggle gives way to an explanation.
    moderated: bool,
    is_owner: bool,
    booked: Vec<String>,
    reviews: Vec<ReviewView>,
}

pub async fn item(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, Response> {
    let id = parse_id(&ctx, &id)?;
    let now = state.clock.now_ms();
    let d = catalog::detail_for_viewer(&state, ctx.user, id)
        .await
        .map_err(|e| ctx.fail(e))?;
    let s = &d.summary;
    let card = view::card(now, s);
    let page = ItemPage {
        l: Layout::new(&ctx, &s.title),
        id: s.id,
        title: s.title.clone(),
        borrow: s.section == Section::Borrow,
        category: s.category.name.clone(),
        category_slug: s.category.slug.clone(),
        region: view::short_region(&s.region.name),
        ago: view::ago(now, s.created_at.0),
        price: card.price,
        price_value: s.price.unwrap_or(-1),
        unit_ms: s.price_unit.map(|u| u.millis()).unwrap_or(0),
        deposit: if s.deposit > 0 {
            format!("{}원", view::won(s.deposit))
        } else {
            String::new()
        },
        description: d.description.clone(),
        images: d.images.clone(),
        owner_id: d.owner.id,
        owner: d.owner.nickname.clone(),
        owner_avatar: d.owner.avatar_url.clone().unwrap_or_default(),
        owner_region: view::region_name(&d.owner.region),
        owner_score: view::score_text(&d.owner),
        owner_deleted: d.owner.deleted,
        bookmarked: d.bookmarked,
        bookmarks: s.bookmark_count,
        chats: s.chat_count,
        views: d.view_count,
        status: card.status.to_string(),
        hidden: s.status == ItemStatus::Hidden,
        moderated: d.moderation.flatten().is_some(),
        is_owner: ctx.user.is_some_and(|u| u.id == d.owner.id),
        booked: d
            .booked
            .iter()
            .map(|p| {
                format!(
                    "{} – {}",
                    view::datetime(p.start_at.0),
                    view::datetime(p.end_at.0)
                )
            })
            .collect(),
        reviews: d.reviews.iter().map(|r| view::review(now, r)).collect(),
    };
    Ok(render(&ctx, StatusCode::OK, &page))
}

// ---------------------------------------------------------------- item form

#[derive(Template)]
#[template(path = "item_form.html")]
struct ItemFormPage {
    l: Layout,
    editing: bool,
    id: i64,
    section: String,
    category_id: i64,
    title: String,
    description: String,
    price: String,
    price_unit: String,
    deposit: String,
    region_code: String,
    region_name: String,
    cats: Vec<Category>,
    images: Vec<Image>,
    moderated: bool,
}

pub async fn new_item(
    State(state): State<AppState>,
    ctx: Ctx,
    p: QueryMap,
) -> Result<Response, Response> {
    let user = ctx.require()?;
    let me = accounts::private_user(&state, user.id)
        .await
        .map_err(|e| ctx.fail(e))?;
    let cats = catalog::categories(&state).await.map_err(|e| ctx.fail(e))?;
    let region = me.public.region.clone();
    let page = ItemFormPage {
        l: Layout::new(&ctx, "물품 등록"),
        editing: false,
        id: 0,
        section: if p.str("section") == Some("borrow") {
            "borrow".into()
        } else {
            "lend".into()
        },
        category_id: 0,
        title: String::new(),
        description: String::new(),
        price: String::new(),
        price_unit: "day".into(),
        deposit: String::new(),
        region_code: region.as_ref().map(|r| r.code.clone()).unwrap_or_default(),
        region_name: region.map(|r| r.name).unwrap_or_default(),
        cats,
        images: Vec::new(),
        moderated: false,
    };
    Ok(render(&ctx, StatusCode::OK, &page))
}

pub async fn edit_item(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, Response> {
    let user = ctx.require()?;
    let id = parse_id(&ctx, &id)?;
    let d = catalog::detail(&state, Some(user), id, false)
        .await
        .map_err(|e| ctx.fail(e))?;
    if d.owner.id != user.id {
        return Err(ctx.fail(AppError::Forbidden("내 물품만 고칠 수 있어요".into())));
    }
    let cats = catalog::categories(&state).await.map_err(|e| ctx.fail(e))?;
    let s = &d.summary;
    let page = ItemFormPage {
        l: Layout::new(&ctx, "물품 수정"),
        editing: true,
        id,
        section: s.section.as_str().into(),
        category_id: s.category.id,
        title: s.title.clone(),
        description: d.description.clone(),
        price: s.price.map(|p| p.to_string()).unwrap_or_default(),
        price_unit: s
            .price_unit
            .map(|u| u.as_str().to_string())
            .unwrap_or_default(),
        deposit: if s.deposit > 0 {
            s.deposit.to_string()
        } else {
            String::new()
        },
        region_code: s.region.code.clone(),
        region_name: s.region.name.clone(),
        cats,
        images: d.images.clone(),
        moderated: d.moderation.flatten().is_some(),
    };
    Ok(render(&ctx, StatusCode::OK, &page))
}

// ---------------------------------------------------------------- users

#[derive(Template)]
#[template(path = "user.html")]
struct UserPage {
    l: Layout,
    nickname: String,
    avatar: String,
    bio: String,
    region: String,
    score: String,
    joined: String,
    deleted: bool,
    reviews: Vec<ReviewView>,
    cards: Vec<Card>,
}

pub async fn user(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, Response> {
    let id = parse_id(&ctx, &id)?;
    let now = state.clock.now_ms();
    let u = accounts::public_user(&state, id)
        .await
        .map_err(|e| ctx.fail(e))?;
    let reviews = rentals::service::reviews_of_user(
        &state,
        id,
        ctx.user,
        PageReq {
            page: 1,
            per_page: 20,
        },
    )
    .await
    .map_err(|e| ctx.fail(e))?;
    let items = catalog::list(
        &state,
        ctx.user,
        &ItemFilter {
            owner: Bounded::new(id).ok(),
            status: Some(StatusFilter::Any),
            ..Default::default()
        },
        PageReq {
            page: 1,
            per_page: 24,
        },
    )
    .await
    .map_err(|e| ctx.fail(e))?;
    let page = UserPage {
        l: Layout::new(&ctx, &u.nickname),
        nickname: u.nickname.clone(),
        avatar: u.avatar_url.clone().unwrap_or_default(),
        bio: u.bio.clone(),
        region: view::region_name(&u.region),
        score: view::score_text(&u),
        joined: view::date(u.joined_at.0),
        deleted: u.deleted,
        reviews: reviews.items.iter().map(|r| view::review(now, r)).collect(),
        cards: items.items.iter().map(|s| view::card(now, s)).collect(),
    };
    Ok(render(&ctx, StatusCode::OK, &page))
}

// ---------------------------------------------------------------- my page

#[derive(Template)]
#[template(path = "me.html")]
struct MePage {
    l: Layout,
    nickname: String,
    avatar: String,
    region: String,
    score: String,
    tab: String,
    tabs: Vec<Chip>,
    rentals: Vec<RentalView>,
    cards: Vec<Card>,
    empty: String,
    pages: Vec<PageLink>,
    prev: String,
    next: String,
}

const TABS: &[(&str, &str)] = &[
    ("ongoing", "대여 중"),
    ("done", "대여 완료"),
    ("requests", "요청"),
    ("bookmarks", "찜한 물품"),
    ("items", "내 물품"),
];

pub async fn me(
    State(state): State<AppState>,
    ctx: Ctx,
    p: QueryMap,
) -> Result<Response, Response> {
    let user = ctx.require()?;
    let now = state.clock.now_ms();
    let me = accounts::private_user(&state, user.id)
        .await
        .map_err(|e| ctx.fail(e))?;
    let tab = p
        .str("tab")
        .filter(|t| TABS.iter().any(|(k, _)| k == t))
        .unwrap_or("ongoing")
        .to_string();
    let page = p
        .str("page")
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(1)
        .clamp(1, 10_000);
    let req = PageReq {
        page,
        per_page: PER_PAGE,
    };
    let (rentals_v, cards, total) = match tab.as_str() {
        "bookmarks" => {
            let list = catalog::my_bookmarks(&state, user, req)
                .await
                .map_err(|e| ctx.fail(e))?;
            let cards = list.items.iter().map(|s| view::card(now, s)).collect();
            (Vec::new(), cards, list.total)
        }
        "items" => {
            let list = catalog::list(
                &state,
                Some(user),
                &ItemFilter {
                    owner: Bounded::new(user.id).ok(),
                    status: Some(StatusFilter::Any),
                    ..Default::default()
                },
                req,
            )
            .await
            .map_err(|e| ctx.fail(e))?;
            let cards = list.items.iter().map(|s| view::card(now, s)).collect();
            (Vec::new(), cards, list.total)
        }
        t => {
            let wanted = match t {
                "done" => RentalState::Closed,
                "requests" => RentalState::Pending,
                _ => RentalState::Ongoing,
            };
            let filter = RentalFilter {
                role: None,
                state: Some(wanted),
            };
            let list = rentals::service::list(&state, user, filter, req)
                .await
                .map_err(|e| ctx.fail(e))?;
            let rows: Vec<RentalView> = list.items.iter().map(|r| view::rental(user, r)).collect();
            (rows, Vec::new(), list.total)
        }
    };
    let empty = match tab.as_str() {
        "ongoing" => "지금 대여 중인 물건이 없어요. 홈에서 필요한 물건을 찾아보세요.",
        "done" => "아직 끝난 대여가 없어요.",
        "requests" => "기다리는 대여 요청이 없어요.",
        "bookmarks" => "찜한 물품이 없어요. 마음에 드는 물건에 ♥를 눌러 보세요.",
        _ => "아직 등록한 물건이 없어요. 첫 물건을 올려 보세요.",
    };
    let tab_href = |t: &str, pg: i64| {
        if pg > 1 {
            format!("/me?tab={t}&page={pg}")
        } else {
            format!("/me?tab={t}")
        }
    };
    let tabs = TABS
        .iter()
        .map(|(k, label)| Chip {
            label: label.to_string(),
            href: tab_href(k, 1),
            active: *k == tab,
        })
        .collect();
    let (pages, prev, next) = pagination(total, page, |n| tab_href(&tab, n));
    let page = MePage {
        l: Layout::new(&ctx, "내 정보"),
        nickname: me.public.nickname.clone(),
        avatar: me.public.avatar_url.clone().unwrap_or_default(),
        region: view::region_name(&me.public.region),
        score: view::score_text(&me.public),
        tab,
        tabs,
        rentals: rentals_v,
        cards,
        empty: empty.to_string(),
        pages,
        prev,
        next,
    };
    Ok(render(&ctx, StatusCode::OK, &page))
}

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    l: Layout,
    nickname: String,
    bio: String,
    email: String,
    avatar: String,
    region_code: String,
    region_name: String,
}

pub async fn settings(State(state): State<AppState>, ctx: Ctx) -> Result<Response, Response> {
    let user = ctx.require()?;
    let me = accounts::private_user(&state, user.id)
        .await
        .map_err(|e| ctx.fail(e))?;
    let page = SettingsPage {
        l: Layout::new(&ctx, "프로필 수정"),
        nickname: me.public.nickname.clone(),
        bio: me.public.bio.clone(),
        email: me.email.clone(),
        avatar: me.public.avatar_url.clone().unwrap_or_default(),
        region_code: me
            .public
            .region
            .as_ref()
            .map(|r| r.code.clone())
            .unwrap_or_default(),
        region_name: me
            .public
            .region
            .as_ref()
            .map(|r| r.name.clone())
            .unwrap_or_default(),
    };
    Ok(render(&ctx, StatusCode::OK, &page))
}

// ---------------------------------------------------------------- rentals

#[derive(Template)]
#[template(path = "rental.html")]
struct RentalPage {
    l: Layout,
    r: RentalView,
    lender: String,
    lender_id: i64,
    borrower: String,
    borrower_id: i64,
    requested: String,
    price: String,
    reviewed: bool,
}

pub async fn rental(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, Response> {
    let user = ctx.require()?;
    let id = parse_id(&ctx, &id)?;
    let r = rentals::service::get(&state, user, id)
        .await
        .map_err(|e| ctx.fail(e))?;
    let rv = view::rental(user, &r);
    // A party of a returned rental that may no longer review it has reviewed it.
    let party = r.lender.id == user.id || r.borrower.id == user.id;
    let reviewed =
        r.status == crate::rentals::model::RentalStatus::Returned && party && !rv.can_review;
    let page = RentalPage {
        l: Layout::new(&ctx, "대여 정보"),
        r: rv,
        lender: r.lender.nickname.clone(),
        lender_id: r.lender.id,
        borrower: r.borrower.nickname.clone(),
        borrower_id: r.borrower.id,
        requested: view::datetime(r.created_at.0),
        price: view::price_line(r.item.price, r.item.price_unit),
        reviewed,
    };
    Ok(render(&ctx, StatusCode::OK, &page))
}

// ---------------------------------------------------------------- chat

pub struct RoomView {
    pub id: i64,
    pub title: String,
    pub thumb: String,
    pub other: String,
    pub last: String,
    pub when: String,
    pub unread: i64,
}

#[derive(Template)]
#[template(path = "chats.html")]
struct ChatsPage {
    l: Layout,
    rooms: Vec<RoomView>,
}

pub async fn chats(State(state): State<AppState>, ctx: Ctx) -> Result<Response, Response> {
    let user = ctx.require()?;
    let now = state.clock.now_ms();
    let rooms = chat::service::rooms(&state, user)
        .await
        .map_err(|e| ctx.fail(e))?;
    let rooms = rooms
        .iter()
        .map(|r| RoomView {
            id: r.id,
            title: r.item.title.clone(),
            thumb: r.item.thumbnail_url.clone().unwrap_or_default(),
            other: r.other_user.nickname.clone(),
            last: r
                .last_message
                .as_ref()
                .map(|m| m.body.clone())
                .unwrap_or_default(),
            when: r
                .last_message
                .as_ref()
                .map(|m| view::ago(now, m.created_at.0))
                .unwrap_or_else(|| view::ago(now, r.created_at.0)),
            unread: r.unread_count,
        })
        .collect();
    let page = ChatsPage {
        l: Layout::new(&ctx, "채팅"),
        rooms,
    };
    Ok(render(&ctx, StatusCode::OK, &page))
}

#[derive(Template)]
#[template(path = "chat.html")]
struct ChatPage {
    l: Layout,
    room_id: i64,
    other_id: i64,
    other: String,
    other_deleted: bool,
    other_last_read: i64,
    item_id: i64,
    item_title: String,
    item_thumb: String,
    item_price: String,
}

pub async fn chat(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, Response> {
    let user = ctx.require()?;
    let id = parse_id(&ctx, &id)?;
    let room = chat::service::room(&state, user, id)
        .await
        .map_err(|e| ctx.fail(e))?;
    let page = ChatPage {
        l: Layout::new(&ctx, &format!("{} 님과 채팅", room.other_user.nickname)),
        room_id: room.id,
        other_id: room.other_user.id,
        other: room.other_user.nickname.clone(),
        other_deleted: room.other_user.deleted,
        other_last_read: room.other_last_read_id,
        item_id: room.item.id,
        item_title: room.item.title.clone(),
        item_thumb: room.item.thumbnail_url.clone().unwrap_or_default(),
        item_price: view::price_line(room.item.price, room.item.price_unit),
    };
    Ok(render(&ctx, StatusCode::OK, &page))
}

// ---------------------------------------------------------------- notifications

pub struct NoteView {
    pub id: i64,
    pub title: String,
    pub body: String,
    pub link: String,
    pub when: String,
    pub unread: bool,
}

#[derive(Template)]
#[template(path = "notifications.html")]
struct NotificationsPage {
    l: Layout,
    notes: Vec<NoteView>,
    unread: i64,
    pages: Vec<PageLink>,
    prev: String,
    next: String,
}

pub async fn notifications(
    State(state): State<AppState>,
    ctx: Ctx,
    p: QueryMap,
) -> Result<Response, Response> {
    let user = ctx.require()?;
    let now = state.clock.now_ms();
    let page = p
        .str("page")
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(1)
        .clamp(1, 10_000);
    let list = notifications::service::list(&state, user, false, PageReq { page, per_page: 30 })
        .await
        .map_err(|e| ctx.fail(e))?;
    let notes = list
        .items
        .iter()
        .map(|n| NoteView {
            id: n.id,
            title: n.title.clone(),
            body: n.body.clone(),
            link: session::safe_next(&state.public_url, Some(&n.link)),
            when: view::ago(now, n.created_at.0),
            unread: n.read_at.is_none(),
        })
        .collect();
    let pages_total = (list.total + 29) / 30;
    let href = |n: i64| format!("/notifications?page={n}");
    let prev = if page > 1 {
        href(page - 1)
    } else {
        String::new()
    };
    let next = if page < pages_total {
        href(page + 1)
    } else {
        String::new()
    };
    let page = NotificationsPage {
        l: Layout::new(&ctx, "알림"),
        notes,
        unread: list.unread_count,
        pages: Vec::new(),
        prev,
        next,
    };
    Ok(render(&ctx, StatusCode::OK, &page))
}

// ---------------------------------------------------------------- feedback and admin

#[derive(Template)]
#[template(path = "feedback.html")]
struct FeedbackPage {
    l: Layout,
}

pub async fn feedback(ctx: Ctx) -> Result<Response, Response> {
    ctx.require()?;
    let page = FeedbackPage {
        l: Layout::new(&ctx, "의견 보내기"),
    };
    Ok(render(&ctx, StatusCode::OK, &page))
}

pub struct ReportView {
    pub id: i64,
    pub item_id: i64,
    pub item_title: String,
    pub owner_id: i64,
    pub reason: &'static str,
    pub detail: String,
    pub when: String,
}

/// An item an admin hid, with what the restore button needs.
pub struct HiddenItemView {
    pub id: i64,
    pub title: String,
    pub owner_id: i64,
    pub when: String,
}

pub struct FeedbackView {
    pub title: String,
    pub content: String,
    pub user_id: i64,
    pub when: String,
}

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminPage {
    l: Layout,
    reports: Vec<ReportView>,
    hidden_items: Vec<HiddenItemView>,
    feedback: Vec<FeedbackView>,
}

pub fn reason_ko(reason: &str) -> &'static str {
    match reason {
        "prohibited_item" => "거래 금지 물품",
        "not_a_rental" => "대여가 아닌 글",
        "professional_seller" => "전문 업자",
        "fraud" => "사기 의심",
        _ => "기타",
    }
}

pub async fn admin(State(state): State<AppState>, ctx: Ctx) -> Result<Response, Response> {
    let user = ctx.require()?;
    if !user.is_admin() {
        return Err(ctx.fail(AppError::Forbidden("관리자만 볼 수 있어요".into())));
    }
    let now = state.clock.now_ms();
    let req = PageReq {
        page: 1,
        per_page: 50,
    };
    let reports =
        moderation::service::reports(&state, user, moderation::model::ReportStatus::Open, req)
            .await
            .map_err(|e| ctx.fail(e))?;
    let feedback = moderation::service::feedback_list(&state, user, req)
        .await
        .map_err(|e| ctx.fail(e))?;
    let hidden = moderation::service::hidden_items(&state, user, req)
        .await
        .map_err(|e| ctx.fail(e))?;
    let page = AdminPage {
        l: Layout::new(&ctx, "관리"),
        reports: reports
            .items
            .iter()
            .map(|r| ReportView {
                id: r.id,
                item_id: r.item_id,
                item_title: r
                    .item_title
                    .clone()
                    .unwrap_or_else(|| "(삭제된 물품)".into()),
                owner_id: r.owner_id.unwrap_or(0),
                reason: reason_ko(&r.reason),
                detail: r.detail.clone(),
                when: view::ago(now, r.created_at.0),
            })
            .collect(),
        hidden_items: hidden
            .items
            .iter()
            .map(|i| HiddenItemView {
                id: i.id,
                title: i.title.clone(),
                owner_id: i.owner_id,
                when: view::ago(now, i.created_at.0),
            })
            .collect(),
        feedback: feedback
            .items
            .iter()
            .map(|f| FeedbackView {
                title: f.row.title.clone(),
                content: f.row.content.clone(),
                user_id: f.row.user_id.unwrap_or(0),
                when: view::ago(now, f.created_at.0),
            })
            .collect(),
    };
    Ok(render(&ctx, StatusCode::OK, &page))
}
