//! Who may call what: one table from each management permission to the roles that hold it.
//!
//! The server checks a route's permission right after authenticating the caller and before it reads
//! the body, so a caller from another tenant, or without the role, learns nothing from validation
//! errors. Each management operation checks the same permission again (an embedding service may call
//! it directly), and the domain's state machine still decides the move itself.

use keygate_domain::{Actor, Event, Role, TenantId};

use super::{Caller, ManageError};

/// A kind of management call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Read the tenant, its keys, their usage and the audit log.
    Read,
    /// Ask for keys, changes, rotations and revocations (maker).
    Request,
    /// Approve or reject what someone else asked (checker).
    Approve,
    /// Stop a key at once (maker, checker or admin: anyone of the tenant who works with keys).
    Stop,
    /// Change the tenant's name or policy; manage operators (admin).
    Administer,
    /// See operators and their personal data; verify the audit chain (admin, auditor).
    Oversee,
}

impl Permission {
    /// The roles holding this permission.
    pub const fn roles(self) -> &'static [Role] {
        match self {
            Self::Read => &[Role::Maker, Role::Checker, Role::Admin, Role::Auditor],
            Self::Request => &[Role::Maker],
            Self::Approve => &[Role::Checker],
            Self::Stop => &[Role::Maker, Role::Checker, Role::Admin],
            Self::Administer => &[Role::Admin],
            Self::Oversee => &[Role::Admin, Role::Auditor],
        }
    }

    /// The permission a key lifecycle event needs.
    pub const fn for_event(event: &Event) -> Self {
        match event {
            Event::Approve
            | Event::Reject { .. }
            | Event::ApproveRevocation
            | Event::RejectRevocation { .. }
            | Event::ApproveChange
            | Event::RejectChange { .. }
            | Event::ApproveResume
            | Event::RejectResume { .. } => Self::Approve,
            Event::Suspend { .. } => Self::Stop,
            Event::RequestResume { .. }
            | Event::Rename { .. }
            | Event::ShortenExpiry { .. }
            | Event::RequestRevocation { .. }
            | Event::RequestChange { .. }
            | Event::UpdateNotes { .. }
            | Event::RevealSecret
            | Event::Supersede { .. }
            | Event::PredecessorRevoked => Self::Request,
        }
    }
}

impl Caller {
    /// The caller as actor on `tenant`, holding `permission`: 403 for another tenant's credential or a
    /// missing role.
    pub fn may(&self, tenant: &TenantId, permission: Permission) -> Result<Actor, ManageError> {
        self.with_any_role(tenant, permission.roles())
    }
}
