from django.apps import AppConfig


class ConnectionsConfig(AppConfig):
    name = "connections"
    verbose_name = "Connections"

    def ready(self) -> None:
        # Signal receivers: forwarding wakes on membership changes; deletions reach partners.
        from connections import downstream, scheduling  # noqa: F401
