//! Who is asking: the signed-in caller as the domains see it. The HTTP layer
//! (`http::extract`) finds it from the token and rejects with 401 when there is none.
use crate::accounts::Role;

/// The signed-in caller: an active account whose login has not ended.
#[derive(Clone, Copy, Debug)]
pub struct AuthUser {
    pub id: i64,
    pub role: Role,
    /// The login the token belongs to (`tokens::session_key` of its refresh-token family).
    pub session: u64,
}

impl AuthUser {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

/// The caller when signed in, or `None` for anonymous requests.
pub struct MaybeUser(pub Option<AuthUser>);
