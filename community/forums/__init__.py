"""Forums: categories, topics, posts, reactions, watching, flags (see community.models.forums)."""
