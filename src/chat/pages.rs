//! Chat's HTML pages: the list of my rooms and one room.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;

use crate::chat;
use crate::state::AppState;
use crate::web::render::{parse_id, render, Layout};
use crate::web::view;
use crate::web::Ctx;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/chats", get(chats))
        .route("/chats/{id}", get(chat))
}

pub struct RoomView {
    pub id: i64,
    pub title: String,
    pub thumb: String,
    pub other: String,
    pub last: String,
    pub when: String,
    pub unread: i64,
    pub muted: bool,
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
            muted: r.muted,
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
    muted: bool,
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
        muted: room.muted,
    };
    Ok(render(&ctx, StatusCode::OK, &page))
}
