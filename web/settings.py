"""Typed settings, read from SAFEBEDS_* environment variables (and a .env file if present)."""

from datetime import timedelta
from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from matching.holds import SupportPeriods


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SAFEBEDS_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite:///safebeds.db",
        description="SQLAlchemy URL; PostgreSQL as postgresql+psycopg://user:password@host/db",
    )
    stale_after_hours: float = Field(default=24, gt=0, description="Vacancies older than this are stale")
    session_idle_minutes: int = Field(default=30, gt=0, description="A log-in ends after this long unused")
    session_absolute_hours: int = Field(default=12, gt=0, description="A log-in ends this long after it began")
    secure_cookies: bool = Field(default=False, description="Mark cookies Secure (set when served over HTTPS)")
    second_factor_required: bool = Field(
        default=True, description="Admins and commissioners must log in with a TOTP code as well as a password"
    )
    trusted_proxies: str = Field(
        default="",
        pattern=r"^[0-9A-Fa-f:.,/ ]*$",
        description="Addresses of reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed "
        "(comma-separated; never *, which would let any client claim any address); with none, the client "
        "address and scheme are the connection's own",
    )
    hold_expiry_minutes: int = Field(default=120, gt=0, description="A hold lapses this long after it is made")
    recovery_period_days: int = Field(
        default=30, gt=0, description="Support after a positive Reasonable Grounds decision lasts at least this long"
    )
    move_on_after_positive_cg_days: int = Field(
        default=45, gt=0, description="Move-on support after a positive Conclusive Grounds decision"
    )
    move_on_after_negative_days: int = Field(
        default=9, gt=0, description="Support after a negative decision ends this soon (guidance: about 9 to 14 days)"
    )
    max_upload_bytes: int = Field(default=2_000_000, gt=0, description="Largest CSV import accepted")
    retention_days: int = Field(
        default=90, ge=1, le=3650, description="A request's details are purged this long after it closes"
    )
    purge_every_hours: float = Field(
        default=24, ge=0, description="How often `safebeds serve` purges on its own (0: only `safebeds purge`)"
    )

    @property
    def max_request_bytes(self) -> int:
        """The largest request body: a CSV upload and room for the rest of its form; nothing else comes near."""
        return self.max_upload_bytes + 64 * 1024

    @property
    def retention(self) -> timedelta:
        return timedelta(days=self.retention_days)

    @property
    def stale_after(self) -> timedelta:
        return timedelta(hours=self.stale_after_hours)

    @property
    def support_periods(self) -> SupportPeriods:
        return SupportPeriods(
            recovery=timedelta(days=self.recovery_period_days),
            after_positive_cg=timedelta(days=self.move_on_after_positive_cg_days),
            after_negative=timedelta(days=self.move_on_after_negative_days),
        )

    @property
    def hold_expiry(self) -> timedelta:
        return timedelta(minutes=self.hold_expiry_minutes)

    @property
    def session_idle(self) -> timedelta:
        return timedelta(minutes=self.session_idle_minutes)

    @property
    def session_absolute(self) -> timedelta:
        return timedelta(hours=self.session_absolute_hours)


@lru_cache
def get_settings() -> Settings:
    """Return the settings, read once."""
    return Settings()
