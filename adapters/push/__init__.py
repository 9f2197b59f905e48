"""Push senders over the providers' real protocols: APNs (HTTP/2, ES256 provider
tokens) and FCM HTTP v1 (OAuth2 service-account access tokens). Each implements
``domain.notification_ports.PushSender``."""
