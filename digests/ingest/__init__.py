"""Getting articles in: fetch feeds, parse them, normalise items, group them into stories."""
