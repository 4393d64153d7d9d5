//! Who may do what: the access rules every backend applies alike (each checks them with
//! the rows it read in its own transaction). `readable` in `store` is the SQL form of
//! [`can_read`].

use quickreply_proto::LibraryKind;
use quickreply_proto::api::{InviteRequest, Me, Role};
use uuid::Uuid;

use super::LibraryRow;
use crate::Error;

/// Personal libraries: their user only. Team libraries: every member of the team.
pub fn can_read(me: &Me, lib: &LibraryRow) -> bool {
    match lib.kind {
        LibraryKind::Personal => lib.owner_user == Some(me.user_id),
        LibraryKind::Team => lib.team_id == me.team_id,
    }
}

/// Personal libraries: their user. Team libraries: owners and editors of the team.
pub fn can_write(me: &Me, lib: &LibraryRow) -> bool {
    can_read(me, lib)
        && match lib.kind {
            LibraryKind::Personal => true,
            LibraryKind::Team => me.role.can_write_team(),
        }
}

/// Read access or `404` (a library the caller may not read does not exist for them).
pub fn check_read(me: &Me, lib: Option<LibraryRow>) -> Result<LibraryRow, Error> {
    match lib {
        Some(lib) if can_read(me, &lib) => Ok(lib),
        _ => Err(Error::NotFound("no such library".into())),
    }
}

/// Write access: `404` as for reading, `403` for readers who may not write.
pub fn check_write(me: &Me, lib: Option<LibraryRow>) -> Result<LibraryRow, Error> {
    let lib = check_read(me, lib)?;
    if can_write(me, &lib) {
        Ok(lib)
    } else {
        Err(Error::Forbidden(format!(
            "a {} may read team libraries but not change them",
            me.role.as_str()
        )))
    }
}

/// Whether `me` may create this invite: pairing codes anyone (for themselves); member
/// invites the owner (any role) and editors (agents and editors).
pub fn may_invite(me: &Me, req: &InviteRequest) -> Result<(), Error> {
    if req.pairing {
        return Ok(());
    }
    may_invite_as(me.role, req.role)
}

/// Whether a member of role `maker` may invite a member as `role` (also checked when an
/// invite is used, so that an invite dies with its maker's rights).
pub fn may_invite_as(maker: Role, role: Role) -> Result<(), Error> {
    match (maker, role) {
        (Role::Owner, _) | (Role::Editor, Role::Editor | Role::Agent) => Ok(()),
        (Role::Editor, Role::Owner) => Err(Error::Forbidden(
            "only the owner may invite another owner".into(),
        )),
        (Role::Agent, _) => Err(Error::Forbidden(
            "agents cannot invite members (they may create pairing codes for their own devices)"
                .into(),
        )),
    }
}

/// Whether `me` may let a sign-in in: as one more device of their own user anyone,
/// as a new member with `member`'s role by the rules of [`may_invite`].
pub fn may_approve(me: &Me, member: Option<Role>) -> Result<(), Error> {
    match member {
        None => Ok(()),
        Some(role) => may_invite(
            me,
            &InviteRequest {
                role,
                uses: 1,
                expires_in: 0,
                pairing: false,
            },
        ),
    }
}

/// Whether `me` may change members' roles: the owner.
pub fn may_set_roles(me: &Me) -> Result<(), Error> {
    if me.role == Role::Owner {
        Ok(())
    } else {
        Err(Error::Forbidden("only the owner may change roles".into()))
    }
}

/// Revoking a device of another member of the team: the owner only (anyone may
/// revoke their own devices; a device of another team does not exist for them).
pub fn not_your_device(me: &Me) -> Error {
    Error::Forbidden(format!(
        "only the owner may revoke another member's device (a {} may revoke only their own devices)",
        me.role.as_str()
    ))
}

/// Revoking a device, found as (its user, its team) or not at all: the owner may revoke
/// any device of the team, everyone else their own user's; a device of another team does
/// not exist for them.
pub fn may_revoke(me: &Me, device: Option<(Uuid, Uuid)>) -> Result<(), Error> {
    match device {
        Some((user, team))
            if team == me.team_id && me.role != Role::Owner && user != me.user_id =>
        {
            Err(not_your_device(me))
        }
        Some((_, team)) if team == me.team_id => Ok(()),
        _ => Err(Error::NotFound("no such device".into())),
    }
}

/// The team must keep an owner.
pub fn keeps_an_owner(owners_left: i64) -> Result<(), Error> {
    if owners_left > 0 {
        Ok(())
    } else {
        Err(Error::Conflict(
            "the team needs an owner: make someone else owner first".into(),
        ))
    }
}

/// Whether `me` may see (and so cancel) the team's open invite and pairing codes: owners
/// and editors, who may make invites.
pub fn may_list_codes(me: &Me) -> Result<(), Error> {
    if me.role.can_write_team() {
        Ok(())
    } else {
        Err(Error::Forbidden(
            "only owners and editors may list and cancel the team's codes".into(),
        ))
    }
}

/// Whether `me` may cancel an open code: the owner any; an editor their own codes and the
/// invites they may make themselves (editors and agents), not an owner invite nor
/// another member's pairing code.
pub fn may_cancel_code(
    me: &Me,
    pairing: bool,
    role: Role,
    maker_user: Option<Uuid>,
) -> Result<(), Error> {
    may_list_codes(me)?;
    let own = maker_user == Some(me.user_id);
    match me.role {
        Role::Owner => Ok(()),
        _ if own => Ok(()),
        _ if pairing => Err(Error::Forbidden(
            "only the owner may cancel another member's pairing code".into(),
        )),
        _ => may_invite_as(me.role, role).map_err(|_| {
            Error::Forbidden(format!(
                "only the owner may cancel an invite for a new {}",
                role.as_str()
            ))
        }),
    }
}

/// Whether `me` may remove the member `user_id`, found in team `team` (`None`: no such
/// user): the owner only, anyone of the team but themselves; a member of another team
/// does not exist for them.
pub fn may_remove_member(me: &Me, user_id: Uuid, team: Option<Uuid>) -> Result<(), Error> {
    if me.role != Role::Owner {
        return Err(Error::Forbidden(format!(
            "only the owner may remove members (a {} may not)",
            me.role.as_str()
        )));
    }
    if team != Some(me.team_id) {
        return Err(Error::NotFound("no such member".into()));
    }
    if user_id == me.user_id {
        return Err(Error::Conflict(
            "you cannot remove yourself: another owner may, or leave with `qreply leave`".into(),
        ));
    }
    Ok(())
}

/// Whether `me` may read the team's searches that found nothing: owners and editors.
pub fn may_read_missed(me: &Me) -> Result<(), Error> {
    if me.role.can_write_team() {
        Ok(())
    } else {
        Err(Error::Forbidden(
            "only owners and editors may see the team's searches that found nothing".into(),
        ))
    }
}

/// Whether `me` may create team libraries.
pub fn may_create_library(me: &Me) -> Result<(), Error> {
    if me.role.can_write_team() {
        Ok(())
    } else {
        Err(Error::Forbidden(
            "only owners and editors may create team libraries".into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn me(role: Role, team: Uuid, user: Uuid) -> Me {
        Me {
            user_id: user,
            user_name: "u".into(),
            device_id: Uuid::now_v7(),
            device_name: "d".into(),
            team_id: team,
            team_name: "t".into(),
            role,
            personal_library: Uuid::now_v7(),
        }
    }

    fn lib(kind: LibraryKind, team: Uuid, owner: Option<Uuid>) -> LibraryRow {
        LibraryRow {
            id: Uuid::now_v7(),
            kind,
            name: "l".into(),
            team_id: team,
            owner_user: owner,
            head: 0,
            last_change: 0,
        }
    }

    #[test]
    fn libraries_are_readable_and_writable_by_the_right_people() {
        let team = Uuid::now_v7();
        let (alice, bob) = (Uuid::now_v7(), Uuid::now_v7());
        let owner = me(Role::Owner, team, alice);
        let agent = me(Role::Agent, team, bob);
        let outsider = me(Role::Owner, Uuid::now_v7(), Uuid::now_v7());
        let team_lib = lib(LibraryKind::Team, team, None);
        let bobs = lib(LibraryKind::Personal, team, Some(bob));

        assert!(can_write(&owner, &team_lib));
        assert!(can_read(&agent, &team_lib) && !can_write(&agent, &team_lib));
        assert!(!can_read(&outsider, &team_lib));
        assert!(can_write(&agent, &bobs));
        assert!(
            !can_read(&owner, &bobs),
            "the owner does not see personal libraries"
        );

        assert!(matches!(
            check_write(&agent, Some(team_lib.clone())),
            Err(Error::Forbidden(_))
        ));
        assert!(matches!(
            check_write(&outsider, Some(team_lib.clone())),
            Err(Error::NotFound(_))
        ));
        assert!(team_lib.change().readable_by(&agent));
        assert!(!bobs.change().readable_by(&owner));
        assert!(bobs.change().readable_by(&agent));
    }

    #[test]
    fn who_may_invite_whom() {
        let team = Uuid::now_v7();
        let req = |role, pairing| InviteRequest {
            role,
            uses: 1,
            expires_in: 3600,
            pairing,
        };
        let editor = me(Role::Editor, team, Uuid::now_v7());
        let agent = me(Role::Agent, team, Uuid::now_v7());
        assert!(may_invite(&editor, &req(Role::Agent, false)).is_ok());
        assert!(may_invite(&editor, &req(Role::Owner, false)).is_err());
        assert!(may_invite(&agent, &req(Role::Agent, false)).is_err());
        assert!(may_invite(&agent, &req(Role::Owner, true)).is_ok());
    }

    #[test]
    fn who_may_cancel_codes_and_remove_members() {
        let team = Uuid::now_v7();
        let owner = me(Role::Owner, team, Uuid::now_v7());
        let editor = me(Role::Editor, team, Uuid::now_v7());
        let agent = me(Role::Agent, team, Uuid::now_v7());
        let other = Some(Uuid::now_v7());
        assert!(may_cancel_code(&owner, true, Role::Agent, other).is_ok());
        assert!(may_cancel_code(&owner, false, Role::Owner, other).is_ok());
        assert!(may_cancel_code(&editor, false, Role::Agent, other).is_ok());
        assert!(may_cancel_code(&editor, false, Role::Owner, other).is_err());
        assert!(may_cancel_code(&editor, true, Role::Agent, other).is_err());
        assert!(may_cancel_code(&editor, true, Role::Editor, Some(editor.user_id)).is_ok());
        assert!(may_cancel_code(&agent, true, Role::Agent, Some(agent.user_id)).is_err());
        assert!(may_list_codes(&agent).is_err() && may_list_codes(&editor).is_ok());

        assert!(may_remove_member(&owner, agent.user_id, Some(team)).is_ok());
        assert!(matches!(
            may_remove_member(&owner, owner.user_id, Some(team)),
            Err(Error::Conflict(_))
        ));
        assert!(matches!(
            may_remove_member(&owner, agent.user_id, Some(Uuid::now_v7())),
            Err(Error::NotFound(_))
        ));
        assert!(matches!(
            may_remove_member(&editor, agent.user_id, Some(team)),
            Err(Error::Forbidden(_))
        ));
    }
}
