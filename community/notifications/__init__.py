"""The notifications centre: in-app list, live unread badge, email preferences per kind, daily digest."""
