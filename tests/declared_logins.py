"""A login stand-in for tests about what a caller may do, not about how they log in.

``DeclaredLogins`` answers every (user, any password) with the user as the identity file declares them (its
groups are the ones the engine gives that user), without asking the engine: the role matrix and the routes
behind it are under test, the engine's password check is not (tests/test_auth.py covers it).
"""

from __future__ import annotations

from api.auth import Authenticator, Caller, display_name
from doorflow import identity
from doorflow.operaton import OperatonClient


class DeclaredLogins(Authenticator):
    def __init__(self) -> None:
        super().__init__(0)

    def authenticate(self, engine: OperatonClient, user_id: str, password: str) -> Caller | None:
        declared = identity.user(user_id)
        name = display_name(declared["firstName"], declared["lastName"])
        return Caller(user_id, name, frozenset(declared["groups"]))


def user_ids() -> list[str]:
    """Every declared user: one or more of each engine group."""
    return [u["id"] for u in identity.users()]
