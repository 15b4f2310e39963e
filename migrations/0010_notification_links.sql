-- Where a product's own notification leads (a URL or a path of the app).
ALTER TABLE notifications ADD COLUMN link TEXT;
