--
-- PostgreSQL database dump (schema only, as pg_dump --schema-only writes it)
--
-- A held-out marketplace database for the N+1 evidence tests: keys are not called `id`, orders are
-- partitioned by month with the foreign keys and indexes declared on each partition (the way a database
-- partitioned before PostgreSQL 11, or by a partition manager, dumps), line_items has no foreign key to
-- orders (orders' primary key includes the partition key), and the blog part has join tables.
-- See workload.py for the data and the statements run against it.
--

SET statement_timeout = 0;
SET lock_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET client_min_messages = warning;
SET row_security = off;

SET default_tablespace = '';

SET default_table_access_method = heap;

CREATE TABLE public.countries (
    code character(2) NOT NULL,
    name text NOT NULL
);

CREATE TABLE public.customers (
    customer_no bigint NOT NULL,
    email text NOT NULL,
    full_name text NOT NULL,
    country_code character(2) NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE TABLE public.products (
    sku text NOT NULL,
    title text NOT NULL,
    price_cents integer NOT NULL
);

CREATE SEQUENCE public.orders_order_no_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

CREATE TABLE public.orders (
    order_no bigint DEFAULT nextval('public.orders_order_no_seq'::regclass) NOT NULL,
    customer_no bigint NOT NULL,
    placed_at timestamp with time zone NOT NULL,
    status text NOT NULL,
    total_cents integer NOT NULL
)
PARTITION BY RANGE (placed_at);
CREATE TABLE public.orders_2024_01 (
    order_no bigint DEFAULT nextval('public.orders_order_no_seq'::regclass) NOT NULL,
    customer_no bigint NOT NULL,
    placed_at timestamp with time zone NOT NULL,
    status text NOT NULL,
    total_cents integer NOT NULL
);
CREATE TABLE public.orders_2024_02 (
    order_no bigint DEFAULT nextval('public.orders_order_no_seq'::regclass) NOT NULL,
    customer_no bigint NOT NULL,
    placed_at timestamp with time zone NOT NULL,
    status text NOT NULL,
    total_cents integer NOT NULL
);
CREATE TABLE public.orders_2024_03 (
    order_no bigint DEFAULT nextval('public.orders_order_no_seq'::regclass) NOT NULL,
    customer_no bigint NOT NULL,
    placed_at timestamp with time zone NOT NULL,
    status text NOT NULL,
    total_cents integer NOT NULL
);
CREATE TABLE public.orders_2024_04 (
    order_no bigint DEFAULT nextval('public.orders_order_no_seq'::regclass) NOT NULL,
    customer_no bigint NOT NULL,
    placed_at timestamp with time zone NOT NULL,
    status text NOT NULL,
    total_cents integer NOT NULL
);
CREATE TABLE public.orders_2024_05 (
    order_no bigint DEFAULT nextval('public.orders_order_no_seq'::regclass) NOT NULL,
    customer_no bigint NOT NULL,
    placed_at timestamp with time zone NOT NULL,
    status text NOT NULL,
    total_cents integer NOT NULL
);
CREATE TABLE public.orders_2024_06 (
    order_no bigint DEFAULT nextval('public.orders_order_no_seq'::regclass) NOT NULL,
    customer_no bigint NOT NULL,
    placed_at timestamp with time zone NOT NULL,
    status text NOT NULL,
    total_cents integer NOT NULL
);
CREATE TABLE public.orders_2024_07 (
    order_no bigint DEFAULT nextval('public.orders_order_no_seq'::regclass) NOT NULL,
    customer_no bigint NOT NULL,
    placed_at timestamp with time zone NOT NULL,
    status text NOT NULL,
    total_cents integer NOT NULL
);
CREATE TABLE public.orders_2024_08 (
    order_no bigint DEFAULT nextval('public.orders_order_no_seq'::regclass) NOT NULL,
    customer_no bigint NOT NULL,
    placed_at timestamp with time zone NOT NULL,
    status text NOT NULL,
    total_cents integer NOT NULL
);
CREATE TABLE public.orders_2024_09 (
    order_no bigint DEFAULT nextval('public.orders_order_no_seq'::regclass) NOT NULL,
    customer_no bigint NOT NULL,
    placed_at timestamp with time zone NOT NULL,
    status text NOT NULL,
    total_cents integer NOT NULL
);
CREATE TABLE public.orders_2024_10 (
    order_no bigint DEFAULT nextval('public.orders_order_no_seq'::regclass) NOT NULL,
    customer_no bigint NOT NULL,
    placed_at timestamp with time zone NOT NULL,
    status text NOT NULL,
    total_cents integer NOT NULL
);
CREATE TABLE public.orders_2024_11 (
    order_no bigint DEFAULT nextval('public.orders_order_no_seq'::regclass) NOT NULL,
    customer_no bigint NOT NULL,
    placed_at timestamp with time zone NOT NULL,
    status text NOT NULL,
    total_cents integer NOT NULL
);
CREATE TABLE public.orders_2024_12 (
    order_no bigint DEFAULT nextval('public.orders_order_no_seq'::regclass) NOT NULL,
    customer_no bigint NOT NULL,
    placed_at timestamp with time zone NOT NULL,
    status text NOT NULL,
    total_cents integer NOT NULL
);
CREATE TABLE public.orders_2025_01 (
    order_no bigint DEFAULT nextval('public.orders_order_no_seq'::regclass) NOT NULL,
    customer_no bigint NOT NULL,
    placed_at timestamp with time zone NOT NULL,
    status text NOT NULL,
    total_cents integer NOT NULL
);
CREATE TABLE public.orders_2025_02 (
    order_no bigint DEFAULT nextval('public.orders_order_no_seq'::regclass) NOT NULL,
    customer_no bigint NOT NULL,
    placed_at timestamp with time zone NOT NULL,
    status text NOT NULL,
    total_cents integer NOT NULL
);
CREATE TABLE public.orders_2025_03 (
    order_no bigint DEFAULT nextval('public.orders_order_no_seq'::regclass) NOT NULL,
    customer_no bigint NOT NULL,
    placed_at timestamp with time zone NOT NULL,
    status text NOT NULL,
    total_cents integer NOT NULL
);
CREATE TABLE public.orders_2025_04 (
    order_no bigint DEFAULT nextval('public.orders_order_no_seq'::regclass) NOT NULL,
    customer_no bigint NOT NULL,
    placed_at timestamp with time zone NOT NULL,
    status text NOT NULL,
    total_cents integer NOT NULL
);
CREATE TABLE public.orders_2025_05 (
    order_no bigint DEFAULT nextval('public.orders_order_no_seq'::regclass) NOT NULL,
    customer_no bigint NOT NULL,
    placed_at timestamp with time zone NOT NULL,
    status text NOT NULL,
    total_cents integer NOT NULL
);
CREATE TABLE public.orders_2025_06 (
    order_no bigint DEFAULT nextval('public.orders_order_no_seq'::regclass) NOT NULL,
    customer_no bigint NOT NULL,
    placed_at timestamp with time zone NOT NULL,
    status text NOT NULL,
    total_cents integer NOT NULL
);
CREATE TABLE public.orders_2025_07 (
    order_no bigint DEFAULT nextval('public.orders_order_no_seq'::regclass) NOT NULL,
    customer_no bigint NOT NULL,
    placed_at timestamp with time zone NOT NULL,
    status text NOT NULL,
    total_cents integer NOT NULL
);
CREATE TABLE public.orders_2025_08 (
    order_no bigint DEFAULT nextval('public.orders_order_no_seq'::regclass) NOT NULL,
    customer_no bigint NOT NULL,
    placed_at timestamp with time zone NOT NULL,
    status text NOT NULL,
    total_cents integer NOT NULL
);
CREATE TABLE public.orders_2025_09 (
    order_no bigint DEFAULT nextval('public.orders_order_no_seq'::regclass) NOT NULL,
    customer_no bigint NOT NULL,
    placed_at timestamp with time zone NOT NULL,
    status text NOT NULL,
    total_cents integer NOT NULL
);
CREATE TABLE public.orders_2025_10 (
    order_no bigint DEFAULT nextval('public.orders_order_no_seq'::regclass) NOT NULL,
    customer_no bigint NOT NULL,
    placed_at timestamp with time zone NOT NULL,
    status text NOT NULL,
    total_cents integer NOT NULL
);
CREATE TABLE public.orders_2025_11 (
    order_no bigint DEFAULT nextval('public.orders_order_no_seq'::regclass) NOT NULL,
    customer_no bigint NOT NULL,
    placed_at timestamp with time zone NOT NULL,
    status text NOT NULL,
    total_cents integer NOT NULL
);
CREATE TABLE public.orders_2025_12 (
    order_no bigint DEFAULT nextval('public.orders_order_no_seq'::regclass) NOT NULL,
    customer_no bigint NOT NULL,
    placed_at timestamp with time zone NOT NULL,
    status text NOT NULL,
    total_cents integer NOT NULL
);
CREATE TABLE public.line_items (
    order_no bigint NOT NULL,
    line_no integer NOT NULL,
    sku text NOT NULL,
    qty integer NOT NULL,
    unit_cents integer NOT NULL
);

CREATE TABLE public.posts (
    post_id bigint NOT NULL,
    author_no bigint NOT NULL,
    title text NOT NULL,
    body text NOT NULL,
    published_at timestamp with time zone NOT NULL
);

CREATE TABLE public.tags (
    tag_id integer NOT NULL,
    label text NOT NULL
);

CREATE TABLE public.post_tags (
    post_id bigint NOT NULL,
    tag_id integer NOT NULL
);

CREATE TABLE public.comments (
    comment_id bigint NOT NULL,
    post_id bigint NOT NULL,
    author_no bigint NOT NULL,
    body text NOT NULL,
    created_at timestamp with time zone NOT NULL,
    reply_to bigint
);

CREATE TABLE public.post_likes (
    post_id bigint NOT NULL,
    customer_no bigint NOT NULL,
    liked_at timestamp with time zone NOT NULL
);
ALTER TABLE ONLY public.orders ATTACH PARTITION public.orders_2024_01 FOR VALUES FROM ('2024-01-01 00:00:00+00') TO ('2024-02-01 00:00:00+00');
ALTER TABLE ONLY public.orders ATTACH PARTITION public.orders_2024_02 FOR VALUES FROM ('2024-02-01 00:00:00+00') TO ('2024-03-01 00:00:00+00');
ALTER TABLE ONLY public.orders ATTACH PARTITION public.orders_2024_03 FOR VALUES FROM ('2024-03-01 00:00:00+00') TO ('2024-04-01 00:00:00+00');
ALTER TABLE ONLY public.orders ATTACH PARTITION public.orders_2024_04 FOR VALUES FROM ('2024-04-01 00:00:00+00') TO ('2024-05-01 00:00:00+00');
ALTER TABLE ONLY public.orders ATTACH PARTITION public.orders_2024_05 FOR VALUES FROM ('2024-05-01 00:00:00+00') TO ('2024-06-01 00:00:00+00');
ALTER TABLE ONLY public.orders ATTACH PARTITION public.orders_2024_06 FOR VALUES FROM ('2024-06-01 00:00:00+00') TO ('2024-07-01 00:00:00+00');
ALTER TABLE ONLY public.orders ATTACH PARTITION public.orders_2024_07 FOR VALUES FROM ('2024-07-01 00:00:00+00') TO ('2024-08-01 00:00:00+00');
ALTER TABLE ONLY public.orders ATTACH PARTITION public.orders_2024_08 FOR VALUES FROM ('2024-08-01 00:00:00+00') TO ('2024-09-01 00:00:00+00');
ALTER TABLE ONLY public.orders ATTACH PARTITION public.orders_2024_09 FOR VALUES FROM ('2024-09-01 00:00:00+00') TO ('2024-10-01 00:00:00+00');
ALTER TABLE ONLY public.orders ATTACH PARTITION public.orders_2024_10 FOR VALUES FROM ('2024-10-01 00:00:00+00') TO ('2024-11-01 00:00:00+00');
ALTER TABLE ONLY public.orders ATTACH PARTITION public.orders_2024_11 FOR VALUES FROM ('2024-11-01 00:00:00+00') TO ('2024-12-01 00:00:00+00');
ALTER TABLE ONLY public.orders ATTACH PARTITION public.orders_2024_12 FOR VALUES FROM ('2024-12-01 00:00:00+00') TO ('2025-01-01 00:00:00+00');
ALTER TABLE ONLY public.orders ATTACH PARTITION public.orders_2025_01 FOR VALUES FROM ('2025-01-01 00:00:00+00') TO ('2025-02-01 00:00:00+00');
ALTER TABLE ONLY public.orders ATTACH PARTITION public.orders_2025_02 FOR VALUES FROM ('2025-02-01 00:00:00+00') TO ('2025-03-01 00:00:00+00');
ALTER TABLE ONLY public.orders ATTACH PARTITION public.orders_2025_03 FOR VALUES FROM ('2025-03-01 00:00:00+00') TO ('2025-04-01 00:00:00+00');
ALTER TABLE ONLY public.orders ATTACH PARTITION public.orders_2025_04 FOR VALUES FROM ('2025-04-01 00:00:00+00') TO ('2025-05-01 00:00:00+00');
ALTER TABLE ONLY public.orders ATTACH PARTITION public.orders_2025_05 FOR VALUES FROM ('2025-05-01 00:00:00+00') TO ('2025-06-01 00:00:00+00');
ALTER TABLE ONLY public.orders ATTACH PARTITION public.orders_2025_06 FOR VALUES FROM ('2025-06-01 00:00:00+00') TO ('2025-07-01 00:00:00+00');
ALTER TABLE ONLY public.orders ATTACH PARTITION public.orders_2025_07 FOR VALUES FROM ('2025-07-01 00:00:00+00') TO ('2025-08-01 00:00:00+00');
ALTER TABLE ONLY public.orders ATTACH PARTITION public.orders_2025_08 FOR VALUES FROM ('2025-08-01 00:00:00+00') TO ('2025-09-01 00:00:00+00');
ALTER TABLE ONLY public.orders ATTACH PARTITION public.orders_2025_09 FOR VALUES FROM ('2025-09-01 00:00:00+00') TO ('2025-10-01 00:00:00+00');
ALTER TABLE ONLY public.orders ATTACH PARTITION public.orders_2025_10 FOR VALUES FROM ('2025-10-01 00:00:00+00') TO ('2025-11-01 00:00:00+00');
ALTER TABLE ONLY public.orders ATTACH PARTITION public.orders_2025_11 FOR VALUES FROM ('2025-11-01 00:00:00+00') TO ('2025-12-01 00:00:00+00');
ALTER TABLE ONLY public.orders ATTACH PARTITION public.orders_2025_12 FOR VALUES FROM ('2025-12-01 00:00:00+00') TO ('2026-01-01 00:00:00+00');

ALTER TABLE ONLY public.countries
    ADD CONSTRAINT countries_pkey PRIMARY KEY (code);

ALTER TABLE ONLY public.customers
    ADD CONSTRAINT customers_pkey PRIMARY KEY (customer_no);

ALTER TABLE ONLY public.customers
    ADD CONSTRAINT customers_email_key UNIQUE (email);

ALTER TABLE ONLY public.products
    ADD CONSTRAINT products_pkey PRIMARY KEY (sku);

ALTER TABLE ONLY public.orders
    ADD CONSTRAINT orders_pkey PRIMARY KEY (order_no, placed_at);

ALTER TABLE ONLY public.orders_2024_01
    ADD CONSTRAINT orders_2024_01_pkey PRIMARY KEY (order_no, placed_at);

ALTER TABLE ONLY public.orders_2024_02
    ADD CONSTRAINT orders_2024_02_pkey PRIMARY KEY (order_no, placed_at);

ALTER TABLE ONLY public.orders_2024_03
    ADD CONSTRAINT orders_2024_03_pkey PRIMARY KEY (order_no, placed_at);

ALTER TABLE ONLY public.orders_2024_04
    ADD CONSTRAINT orders_2024_04_pkey PRIMARY KEY (order_no, placed_at);

ALTER TABLE ONLY public.orders_2024_05
    ADD CONSTRAINT orders_2024_05_pkey PRIMARY KEY (order_no, placed_at);

ALTER TABLE ONLY public.orders_2024_06
    ADD CONSTRAINT orders_2024_06_pkey PRIMARY KEY (order_no, placed_at);

ALTER TABLE ONLY public.orders_2024_07
    ADD CONSTRAINT orders_2024_07_pkey PRIMARY KEY (order_no, placed_at);

ALTER TABLE ONLY public.orders_2024_08
    ADD CONSTRAINT orders_2024_08_pkey PRIMARY KEY (order_no, placed_at);

ALTER TABLE ONLY public.orders_2024_09
    ADD CONSTRAINT orders_2024_09_pkey PRIMARY KEY (order_no, placed_at);

ALTER TABLE ONLY public.orders_2024_10
    ADD CONSTRAINT orders_2024_10_pkey PRIMARY KEY (order_no, placed_at);

ALTER TABLE ONLY public.orders_2024_11
    ADD CONSTRAINT orders_2024_11_pkey PRIMARY KEY (order_no, placed_at);

ALTER TABLE ONLY public.orders_2024_12
    ADD CONSTRAINT orders_2024_12_pkey PRIMARY KEY (order_no, placed_at);

ALTER TABLE ONLY public.orders_2025_01
    ADD CONSTRAINT orders_2025_01_pkey PRIMARY KEY (order_no, placed_at);

ALTER TABLE ONLY public.orders_2025_02
    ADD CONSTRAINT orders_2025_02_pkey PRIMARY KEY (order_no, placed_at);

ALTER TABLE ONLY public.orders_2025_03
    ADD CONSTRAINT orders_2025_03_pkey PRIMARY KEY (order_no, placed_at);

ALTER TABLE ONLY public.orders_2025_04
    ADD CONSTRAINT orders_2025_04_pkey PRIMARY KEY (order_no, placed_at);

ALTER TABLE ONLY public.orders_2025_05
    ADD CONSTRAINT orders_2025_05_pkey PRIMARY KEY (order_no, placed_at);

ALTER TABLE ONLY public.orders_2025_06
    ADD CONSTRAINT orders_2025_06_pkey PRIMARY KEY (order_no, placed_at);

ALTER TABLE ONLY public.orders_2025_07
    ADD CONSTRAINT orders_2025_07_pkey PRIMARY KEY (order_no, placed_at);

ALTER TABLE ONLY public.orders_2025_08
    ADD CONSTRAINT orders_2025_08_pkey PRIMARY KEY (order_no, placed_at);

ALTER TABLE ONLY public.orders_2025_09
    ADD CONSTRAINT orders_2025_09_pkey PRIMARY KEY (order_no, placed_at);

ALTER TABLE ONLY public.orders_2025_10
    ADD CONSTRAINT orders_2025_10_pkey PRIMARY KEY (order_no, placed_at);

ALTER TABLE ONLY public.orders_2025_11
    ADD CONSTRAINT orders_2025_11_pkey PRIMARY KEY (order_no, placed_at);

ALTER TABLE ONLY public.orders_2025_12
    ADD CONSTRAINT orders_2025_12_pkey PRIMARY KEY (order_no, placed_at);

ALTER TABLE ONLY public.line_items
    ADD CONSTRAINT line_items_pkey PRIMARY KEY (order_no, line_no);

ALTER TABLE ONLY public.posts
    ADD CONSTRAINT posts_pkey PRIMARY KEY (post_id);

ALTER TABLE ONLY public.tags
    ADD CONSTRAINT tags_pkey PRIMARY KEY (tag_id);

ALTER TABLE ONLY public.tags
    ADD CONSTRAINT tags_label_key UNIQUE (label);

ALTER TABLE ONLY public.post_tags
    ADD CONSTRAINT post_tags_pkey PRIMARY KEY (post_id, tag_id);

ALTER TABLE ONLY public.comments
    ADD CONSTRAINT comments_pkey PRIMARY KEY (comment_id);

ALTER TABLE ONLY public.post_likes
    ADD CONSTRAINT post_likes_pkey PRIMARY KEY (post_id, customer_no);

CREATE INDEX comments_post_id_idx ON public.comments USING btree (post_id);

CREATE INDEX comments_reply_to_idx ON public.comments USING btree (reply_to);

CREATE INDEX posts_published_at_idx ON public.posts USING btree (published_at);

CREATE INDEX orders_2024_01_customer_no_idx ON public.orders_2024_01 USING btree (customer_no);

CREATE INDEX orders_2024_02_customer_no_idx ON public.orders_2024_02 USING btree (customer_no);

CREATE INDEX orders_2024_03_customer_no_idx ON public.orders_2024_03 USING btree (customer_no);

CREATE INDEX orders_2024_04_customer_no_idx ON public.orders_2024_04 USING btree (customer_no);

CREATE INDEX orders_2024_05_customer_no_idx ON public.orders_2024_05 USING btree (customer_no);

CREATE INDEX orders_2024_06_customer_no_idx ON public.orders_2024_06 USING btree (customer_no);

CREATE INDEX orders_2024_07_customer_no_idx ON public.orders_2024_07 USING btree (customer_no);

CREATE INDEX orders_2024_08_customer_no_idx ON public.orders_2024_08 USING btree (customer_no);

CREATE INDEX orders_2024_09_customer_no_idx ON public.orders_2024_09 USING btree (customer_no);

CREATE INDEX orders_2024_10_customer_no_idx ON public.orders_2024_10 USING btree (customer_no);

CREATE INDEX orders_2024_11_customer_no_idx ON public.orders_2024_11 USING btree (customer_no);

CREATE INDEX orders_2024_12_customer_no_idx ON public.orders_2024_12 USING btree (customer_no);

CREATE INDEX orders_2025_01_customer_no_idx ON public.orders_2025_01 USING btree (customer_no);

CREATE INDEX orders_2025_02_customer_no_idx ON public.orders_2025_02 USING btree (customer_no);

CREATE INDEX orders_2025_03_customer_no_idx ON public.orders_2025_03 USING btree (customer_no);

CREATE INDEX orders_2025_04_customer_no_idx ON public.orders_2025_04 USING btree (customer_no);

CREATE INDEX orders_2025_05_customer_no_idx ON public.orders_2025_05 USING btree (customer_no);

CREATE INDEX orders_2025_06_customer_no_idx ON public.orders_2025_06 USING btree (customer_no);

CREATE INDEX orders_2025_07_customer_no_idx ON public.orders_2025_07 USING btree (customer_no);

CREATE INDEX orders_2025_08_customer_no_idx ON public.orders_2025_08 USING btree (customer_no);

CREATE INDEX orders_2025_09_customer_no_idx ON public.orders_2025_09 USING btree (customer_no);

CREATE INDEX orders_2025_10_customer_no_idx ON public.orders_2025_10 USING btree (customer_no);

CREATE INDEX orders_2025_11_customer_no_idx ON public.orders_2025_11 USING btree (customer_no);

CREATE INDEX orders_2025_12_customer_no_idx ON public.orders_2025_12 USING btree (customer_no);

ALTER INDEX public.orders_pkey ATTACH PARTITION public.orders_2024_01_pkey;

ALTER INDEX public.orders_pkey ATTACH PARTITION public.orders_2024_02_pkey;

ALTER INDEX public.orders_pkey ATTACH PARTITION public.orders_2024_03_pkey;

ALTER INDEX public.orders_pkey ATTACH PARTITION public.orders_2024_04_pkey;

ALTER INDEX public.orders_pkey ATTACH PARTITION public.orders_2024_05_pkey;

ALTER INDEX public.orders_pkey ATTACH PARTITION public.orders_2024_06_pkey;

ALTER INDEX public.orders_pkey ATTACH PARTITION public.orders_2024_07_pkey;

ALTER INDEX public.orders_pkey ATTACH PARTITION public.orders_2024_08_pkey;

ALTER INDEX public.orders_pkey ATTACH PARTITION public.orders_2024_09_pkey;

ALTER INDEX public.orders_pkey ATTACH PARTITION public.orders_2024_10_pkey;

ALTER INDEX public.orders_pkey ATTACH PARTITION public.orders_2024_11_pkey;

ALTER INDEX public.orders_pkey ATTACH PARTITION public.orders_2024_12_pkey;

ALTER INDEX public.orders_pkey ATTACH PARTITION public.orders_2025_01_pkey;

ALTER INDEX public.orders_pkey ATTACH PARTITION public.orders_2025_02_pkey;

ALTER INDEX public.orders_pkey ATTACH PARTITION public.orders_2025_03_pkey;

ALTER INDEX public.orders_pkey ATTACH PARTITION public.orders_2025_04_pkey;

ALTER INDEX public.orders_pkey ATTACH PARTITION public.orders_2025_05_pkey;

ALTER INDEX public.orders_pkey ATTACH PARTITION public.orders_2025_06_pkey;

ALTER INDEX public.orders_pkey ATTACH PARTITION public.orders_2025_07_pkey;

ALTER INDEX public.orders_pkey ATTACH PARTITION public.orders_2025_08_pkey;

ALTER INDEX public.orders_pkey ATTACH PARTITION public.orders_2025_09_pkey;

ALTER INDEX public.orders_pkey ATTACH PARTITION public.orders_2025_10_pkey;

ALTER INDEX public.orders_pkey ATTACH PARTITION public.orders_2025_11_pkey;

ALTER INDEX public.orders_pkey ATTACH PARTITION public.orders_2025_12_pkey;

ALTER TABLE ONLY public.customers
    ADD CONSTRAINT customers_country_code_fkey FOREIGN KEY (country_code) REFERENCES public.countries(code);

ALTER TABLE ONLY public.line_items
    ADD CONSTRAINT line_items_sku_fkey FOREIGN KEY (sku) REFERENCES public.products(sku);

ALTER TABLE ONLY public.orders_2024_01
    ADD CONSTRAINT orders_2024_01_customer_no_fkey FOREIGN KEY (customer_no) REFERENCES public.customers(customer_no);

ALTER TABLE ONLY public.orders_2024_02
    ADD CONSTRAINT orders_2024_02_customer_no_fkey FOREIGN KEY (customer_no) REFERENCES public.customers(customer_no);

ALTER TABLE ONLY public.orders_2024_03
    ADD CONSTRAINT orders_2024_03_customer_no_fkey FOREIGN KEY (customer_no) REFERENCES public.customers(customer_no);

ALTER TABLE ONLY public.orders_2024_04
    ADD CONSTRAINT orders_2024_04_customer_no_fkey FOREIGN KEY (customer_no) REFERENCES public.customers(customer_no);

ALTER TABLE ONLY public.orders_2024_05
    ADD CONSTRAINT orders_2024_05_customer_no_fkey FOREIGN KEY (customer_no) REFERENCES public.customers(customer_no);

ALTER TABLE ONLY public.orders_2024_06
    ADD CONSTRAINT orders_2024_06_customer_no_fkey FOREIGN KEY (customer_no) REFERENCES public.customers(customer_no);

ALTER TABLE ONLY public.orders_2024_07
    ADD CONSTRAINT orders_2024_07_customer_no_fkey FOREIGN KEY (customer_no) REFERENCES public.customers(customer_no);

ALTER TABLE ONLY public.orders_2024_08
    ADD CONSTRAINT orders_2024_08_customer_no_fkey FOREIGN KEY (customer_no) REFERENCES public.customers(customer_no);

ALTER TABLE ONLY public.orders_2024_09
    ADD CONSTRAINT orders_2024_09_customer_no_fkey FOREIGN KEY (customer_no) REFERENCES public.customers(customer_no);

ALTER TABLE ONLY public.orders_2024_10
    ADD CONSTRAINT orders_2024_10_customer_no_fkey FOREIGN KEY (customer_no) REFERENCES public.customers(customer_no);

ALTER TABLE ONLY public.orders_2024_11
    ADD CONSTRAINT orders_2024_11_customer_no_fkey FOREIGN KEY (customer_no) REFERENCES public.customers(customer_no);

ALTER TABLE ONLY public.orders_2024_12
    ADD CONSTRAINT orders_2024_12_customer_no_fkey FOREIGN KEY (customer_no) REFERENCES public.customers(customer_no);

ALTER TABLE ONLY public.orders_2025_01
    ADD CONSTRAINT orders_2025_01_customer_no_fkey FOREIGN KEY (customer_no) REFERENCES public.customers(customer_no);

ALTER TABLE ONLY public.orders_2025_02
    ADD CONSTRAINT orders_2025_02_customer_no_fkey FOREIGN KEY (customer_no) REFERENCES public.customers(customer_no);

ALTER TABLE ONLY public.orders_2025_03
    ADD CONSTRAINT orders_2025_03_customer_no_fkey FOREIGN KEY (customer_no) REFERENCES public.customers(customer_no);

ALTER TABLE ONLY public.orders_2025_04
    ADD CONSTRAINT orders_2025_04_customer_no_fkey FOREIGN KEY (customer_no) REFERENCES public.customers(customer_no);

ALTER TABLE ONLY public.orders_2025_05
    ADD CONSTRAINT orders_2025_05_customer_no_fkey FOREIGN KEY (customer_no) REFERENCES public.customers(customer_no);

ALTER TABLE ONLY public.orders_2025_06
    ADD CONSTRAINT orders_2025_06_customer_no_fkey FOREIGN KEY (customer_no) REFERENCES public.customers(customer_no);

ALTER TABLE ONLY public.orders_2025_07
    ADD CONSTRAINT orders_2025_07_customer_no_fkey FOREIGN KEY (customer_no) REFERENCES public.customers(customer_no);

ALTER TABLE ONLY public.orders_2025_08
    ADD CONSTRAINT orders_2025_08_customer_no_fkey FOREIGN KEY (customer_no) REFERENCES public.customers(customer_no);

ALTER TABLE ONLY public.orders_2025_09
    ADD CONSTRAINT orders_2025_09_customer_no_fkey FOREIGN KEY (customer_no) REFERENCES public.customers(customer_no);

ALTER TABLE ONLY public.orders_2025_10
    ADD CONSTRAINT orders_2025_10_customer_no_fkey FOREIGN KEY (customer_no) REFERENCES public.customers(customer_no);

ALTER TABLE ONLY public.orders_2025_11
    ADD CONSTRAINT orders_2025_11_customer_no_fkey FOREIGN KEY (customer_no) REFERENCES public.customers(customer_no);

ALTER TABLE ONLY public.orders_2025_12
    ADD CONSTRAINT orders_2025_12_customer_no_fkey FOREIGN KEY (customer_no) REFERENCES public.customers(customer_no);

ALTER TABLE ONLY public.posts
    ADD CONSTRAINT posts_author_no_fkey FOREIGN KEY (author_no) REFERENCES public.customers(customer_no);

ALTER TABLE ONLY public.post_tags
    ADD CONSTRAINT post_tags_post_id_fkey FOREIGN KEY (post_id) REFERENCES public.posts(post_id);

ALTER TABLE ONLY public.post_tags
    ADD CONSTRAINT post_tags_tag_id_fkey FOREIGN KEY (tag_id) REFERENCES public.tags(tag_id);

ALTER TABLE ONLY public.comments
    ADD CONSTRAINT comments_post_id_fkey FOREIGN KEY (post_id) REFERENCES public.posts(post_id);

ALTER TABLE ONLY public.comments
    ADD CONSTRAINT comments_reply_to_fkey FOREIGN KEY (reply_to) REFERENCES public.comments(comment_id);

ALTER TABLE ONLY public.comments
    ADD CONSTRAINT comments_author_no_fkey FOREIGN KEY (author_no) REFERENCES public.customers(customer_no);

ALTER TABLE ONLY public.post_likes
    ADD CONSTRAINT post_likes_post_id_fkey FOREIGN KEY (post_id) REFERENCES public.posts(post_id);

ALTER TABLE ONLY public.post_likes
    ADD CONSTRAINT post_likes_customer_no_fkey FOREIGN KEY (customer_no) REFERENCES public.customers(customer_no);

--
-- PostgreSQL database dump complete
--
