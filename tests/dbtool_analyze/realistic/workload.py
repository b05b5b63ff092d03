"""The held-out marketplace's data and an ORM-like workload with planted N+1 loops and negative controls.

`load(conn)` fills schema.sql's tables (deterministic: `setseed`); `run(url)` replays the application: pages
that loop over a parent query's rows the way lazy-loading ORMs do, and statements that look like per-row
lookups but are not driven by any parent's rows. Every statement is bound with parameters through psycopg,
so pg_stat_statements normalises it as the application's would be. `PLANTED` and `NEGATIVE` name each
statement the analyser must (or must not) report as the child of an N+1 loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import psycopg

DATA = """
SELECT setseed(0.14);
INSERT INTO public.countries (code, name)
SELECT chr(65 + n / 5) || chr(65 + n % 5 + 10), 'Country ' || n FROM generate_series(0, 19) AS n;
INSERT INTO public.customers (customer_no, email, full_name, country_code, created_at)
SELECT 100000 + n, 'customer' || n || '@example.com', 'Customer ' || n,
       (SELECT code FROM public.countries ORDER BY code OFFSET n % 20 LIMIT 1),
       timestamptz '2023-06-01' + n * interval '3 hours'
FROM generate_series(1, 3000) AS n;
INSERT INTO public.products (sku, title, price_cents)
SELECT 'SKU-' || lpad(n::text, 5, '0'), 'Product ' || n, 100 + (n * 37) % 9000 FROM generate_series(1, 800) AS n;
INSERT INTO public.orders (customer_no, placed_at, status, total_cents)
SELECT 100001 + (n * 7919) % 3000, timestamptz '2024-01-01' + n * interval '70 minutes',
       (ARRAY['paid', 'shipped', 'delivered', 'refunded'])[1 + n % 4], 500 + (n * 131) % 50000
FROM generate_series(0, 15000) AS n;
INSERT INTO public.line_items (order_no, line_no, sku, qty, unit_cents)
SELECT o.order_no, l, 'SKU-' || lpad((1 + (o.order_no * 13 + l * 101) % 800)::text, 5, '0'), 1 + l % 3, 250
FROM public.orders o CROSS JOIN LATERAL generate_series(1, 5 + (o.order_no % 4)::int) AS l;
INSERT INTO public.posts (post_id, author_no, title, body, published_at)
SELECT n, 100001 + (n * 31) % 3000, 'Post ' || n, repeat('text ', 40), timestamptz '2024-01-01' + n * interval '5 hours'
FROM generate_series(1, 4000) AS n;
INSERT INTO public.tags (tag_id, label) SELECT n, 'tag' || n FROM generate_series(1, 60) AS n;
INSERT INTO public.post_tags (post_id, tag_id)
SELECT DISTINCT p, 1 + (p * k * 7) % 60 FROM generate_series(1, 4000) AS p, generate_series(1, 3) AS k;
INSERT INTO public.comments (comment_id, post_id, author_no, body, created_at, reply_to)
SELECT n, 1 + (n * 17) % 4000, 100001 + (n * 11) % 3000, 'comment ' || n, timestamptz '2024-01-02' + n * interval '1 hour',
       CASE WHEN n % 3 = 0 AND n > 40 THEN n - 1 - (n * 7) % 40 END
FROM generate_series(1, 20000) AS n;
INSERT INTO public.post_likes (post_id, customer_no, liked_at)
SELECT DISTINCT ON (1 + (n * 13) % 4000, 100001 + (n * 29) % 3000)
       1 + (n * 13) % 4000, 100001 + (n * 29) % 3000, timestamptz '2024-01-03' + n * interval '1 hour'
FROM generate_series(1, 12000) AS n;
"""


@dataclass(frozen=True)
class Child:
    """A statement the workload runs, and what the analyser must say about it."""

    name: str
    sql: str
    table: str
    column: str


# Planted loops: each is run once per row of a parent query.
RECENT_ORDERS = Child(
    "recent orders per customer (partitioned child, foreign keys on the partitions)",
    "SELECT order_no, placed_at, status, total_cents FROM orders WHERE customer_no = %s "
    "ORDER BY placed_at DESC LIMIT 3",
    "public.orders",
    "customer_no",
)
POST_TAGS = Child(
    "tags per post (the child is a join)",
    "SELECT t.* FROM post_tags pt JOIN tags t USING (tag_id) WHERE pt.post_id = %s",
    "public.post_tags",
    "post_id",
)
COMMENT_COUNT = Child(
    "comment count per post (count probe)",
    "SELECT count(*) FROM comments WHERE post_id = %s",
    "public.comments",
    "post_id",
)
LIKED = Child(
    "liked by the viewer per post (EXISTS probe)",
    "SELECT EXISTS (SELECT 1 FROM post_likes WHERE post_id = %s AND customer_no = %s)",
    "public.post_likes",
    "post_id",
)
ORDER_CUSTOMER = Child(
    "customer of each order (IN single lookup; parent is the partitioned table)",
    "SELECT customer_no, full_name, email FROM customers WHERE customer_no IN (%s)",
    "public.customers",
    "customer_no",
)
ORDER_LINES = Child(
    "lines of each order (no foreign key: lower confidence)",
    "SELECT line_no, sku, qty, unit_cents FROM line_items WHERE order_no = %s ORDER BY line_no",
    "public.line_items",
    "order_no",
)
LINE_PRODUCT = Child(
    "product of each line (= ANY with one value)",
    "SELECT sku, title, price_cents FROM products WHERE sku = ANY(%s)",
    "public.products",
    "sku",
)
REPLIES = Child(
    "replies to each comment (the table references itself)",
    "SELECT comment_id, author_no, body FROM comments WHERE reply_to = %s ORDER BY created_at",
    "public.comments",
    "reply_to",
)
PLANTED = (RECENT_ORDERS, POST_TAGS, COMMENT_COUNT, LIKED, ORDER_CUSTOMER, ORDER_LINES, LINE_PRODUCT, REPLIES)

# Negative controls: look like per-row lookups or fetches, but no parent's rows drive them.
COUNTRY_LOOKUP = Child(
    "tiny dimension looked up on its own (per request)",
    "SELECT code, name FROM countries WHERE code = %s",
    "public.countries",
    "code",
)
SESSION_CUSTOMER = Child(
    "the signed-in customer, once per request",
    "SELECT customer_no, full_name, email, country_code FROM customers WHERE customer_no = %s",
    "public.customers",
    "customer_no",
)
PRODUCT_PAGE = Child(
    "product page by sku, once per request",
    "SELECT sku, title, price_cents FROM products WHERE sku = %s",
    "public.products",
    "sku",
)
BATCHED_COMMENTS = Child(
    "comments of a feed page in one batch (the fix, not a loop)",
    "SELECT comment_id, post_id, author_no, body FROM comments WHERE post_id = ANY(%s) ORDER BY created_at",
    "public.comments",
    "post_id",
)
STATUS_REPORT = Child(
    "one-off scan: orders by status",
    "SELECT status, count(*) FROM orders WHERE placed_at >= %s GROUP BY status",
    "public.orders",
    "placed_at",
)
NEW_CUSTOMERS = Child(
    "one-off scan: new customers",
    "SELECT customer_no, email FROM customers WHERE created_at >= %s ORDER BY created_at",
    "public.customers",
    "created_at",
)
NEGATIVE = (COUNTRY_LOOKUP, SESSION_CUSTOMER, PRODUCT_PAGE, BATCHED_COMMENTS, STATUS_REPORT, NEW_CUSTOMERS)

DIRECTORY = (
    "SELECT customer_no, full_name, country_code FROM customers WHERE country_code = %s "
    "ORDER BY customer_no LIMIT 25"
)
ADMIN_ORDERS = (
    "SELECT order_no, customer_no, placed_at, status, total_cents FROM orders "
    "WHERE placed_at >= %s AND placed_at < %s ORDER BY placed_at LIMIT 30"
)
FEED = (
    "SELECT post_id, author_no, title, published_at FROM posts ORDER BY published_at DESC LIMIT 20 OFFSET %s"
)
LATEST_COMMENTS = (
    "SELECT comment_id, post_id, author_no, body FROM comments WHERE reply_to IS NULL "
    "ORDER BY created_at DESC LIMIT 25 OFFSET %s"
)
MONTHLY_REVENUE = (
    "SELECT o.order_no, sum(li.qty * li.unit_cents) FROM orders o JOIN line_items li ON li.order_no = o.order_no "
    "WHERE o.placed_at >= %s AND o.placed_at < %s GROUP BY o.order_no"
)


def load(conn: psycopg.Connection) -> None:
    """Fill the tables (about 15,000 orders over 24 monthly partitions, 4,000 posts) and ANALYZE them."""
    conn.execute(DATA)
    conn.execute("ANALYZE")


def run(url: str) -> None:
    """Replay the application: four pages with lazy-loading loops, and per-request lookups beside them."""
    start = datetime(2024, 3, 1, tzinfo=timezone.utc)
    with psycopg.connect(url, autocommit=True) as conn:
        countries = [row[0] for row in conn.execute("SELECT code FROM countries ORDER BY code")]
        for page in range(12):  # customer directory: 25 customers, their recent orders
            for customer in conn.execute(DIRECTORY, (countries[page],)).fetchall():
                conn.execute(RECENT_ORDERS.sql, (customer[0],))
        for page in range(8):  # admin order list: each order's customer, lines and the lines' products
            since = start + timedelta(days=20 * page)
            for order in conn.execute(ADMIN_ORDERS, (since, since + timedelta(days=7))).fetchall():
                conn.execute(ORDER_CUSTOMER.sql, (order[1],))
                for line in conn.execute(ORDER_LINES.sql, (order[0],)).fetchall():
                    conn.execute(LINE_PRODUCT.sql, ([line[1]],))
        for page in range(16):  # the feed: tags, comment count and "liked" per post, comments in one batch
            viewer = 100001 + page * 97
            posts = conn.execute(FEED, (page * 20,)).fetchall()
            for post in posts:
                conn.execute(POST_TAGS.sql, (post[0],))
                conn.execute(COMMENT_COUNT.sql, (post[0],))
                conn.execute(LIKED.sql, (post[0], viewer))
            conn.execute(BATCHED_COMMENTS.sql, ([post[0] for post in posts],))
        for page in range(6):  # moderation: the latest top-level comments, each one's replies
            for comment in conn.execute(LATEST_COMMENTS, (page * 25,)).fetchall():
                conn.execute(REPLIES.sql, (comment[0],))
        for month in range(3):  # a monthly report that joins orders to their lines
            since = start + timedelta(days=30 * month)
            conn.execute(MONTHLY_REVENUE, (since, since + timedelta(days=30)))
        for request in range(2500):  # per-request lookups that no parent's rows drive
            conn.execute(SESSION_CUSTOMER.sql, (100001 + (request * 37) % 3000,))
            if request % 5 < 3:
                conn.execute(COUNTRY_LOOKUP.sql, (countries[request % 20],))
            if request % 25 < 4:
                conn.execute(PRODUCT_PAGE.sql, (f"SKU-{1 + request % 800:05d}",))
        conn.execute(STATUS_REPORT.sql, (start,))
        conn.execute(NEW_CUSTOMERS.sql, (start,))
