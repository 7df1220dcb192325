"""SQLite schema and statements for the order store (values always bound as parameters)."""

from __future__ import annotations

from tools.rows import ITEM_COLUMNS, ORDER_COLUMNS

SCHEMA = """
CREATE TABLE IF NOT EXISTS products (
    sku TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    category TEXT NOT NULL,
    description TEXT NOT NULL,
    price_cents INTEGER NOT NULL CHECK (price_cents >= 0),
    stock INTEGER NOT NULL CHECK (stock >= 0)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS idx_products_name ON products (lower(name));
CREATE TABLE IF NOT EXISTS customers (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    phone TEXT NOT NULL,
    zip_code TEXT NOT NULL,
    street TEXT NOT NULL,
    city TEXT NOT NULL,
    state TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS idx_customers_email ON customers (lower(email));
CREATE INDEX IF NOT EXISTS idx_customers_phone ON customers (phone);
CREATE TABLE IF NOT EXISTS orders (
    order_id TEXT PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers (id),
    status TEXT NOT NULL CHECK (
        status IN ('processing', 'shipped', 'out_for_delivery', 'delivered', 'cancelled')
    ),
    placed_at TEXT NOT NULL,
    carrier TEXT,
    tracking_number TEXT,
    shipped_at TEXT,
    estimated_delivery TEXT,
    delivered_at TEXT,
    shipping_address TEXT NOT NULL,
    payment_last4 TEXT NOT NULL,
    total_cents INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS idx_orders_customer ON orders (customer_id, placed_at DESC);
CREATE TABLE IF NOT EXISTS order_items (
    order_id TEXT NOT NULL REFERENCES orders (order_id),
    line_no INTEGER NOT NULL,
    sku TEXT NOT NULL,
    product_name TEXT NOT NULL,
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    unit_price_cents INTEGER NOT NULL,
    return_window_days INTEGER NOT NULL,
    PRIMARY KEY (order_id, line_no)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS returns (
    id INTEGER PRIMARY KEY,
    order_id TEXT NOT NULL REFERENCES orders (order_id),
    sku TEXT NOT NULL,
    reason TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('requested', 'received', 'refunded')),
    created_at TEXT NOT NULL,
    UNIQUE (order_id, sku)
);
"""

_ORDER = ", ".join(f"o.{c}" for c in ORDER_COLUMNS)
_ITEM = ", ".join(f"i.{c}" for c in ITEM_COLUMNS)
_RETURN = "id, order_id, sku, reason, status, created_at"
_CUSTOMER = "id, name, email, phone, zip_code, street, city, state"

GET_ORDER = f"""
SELECT {_ORDER}, {_ITEM} FROM orders o LEFT JOIN order_items i ON i.order_id = o.order_id
WHERE o.order_id = ? ORDER BY i.line_no
"""
ORDERS_FOR_CUSTOMER = f"""
SELECT {_ORDER} FROM orders o WHERE o.customer_id = ?
ORDER BY o.placed_at DESC, length(o.order_id) DESC, o.order_id DESC LIMIT ?
"""
ITEMS_FOR_ORDERS = f"SELECT {_ITEM} FROM order_items i WHERE i.order_id IN ({{marks}})"
GET_CUSTOMER = f"SELECT {_CUSTOMER} FROM customers WHERE id = ?"
CUSTOMER_BY_EMAIL = f"SELECT {_CUSTOMER} FROM customers WHERE lower(email) = ? LIMIT 1"
CUSTOMER_BY_PHONE = f"SELECT {_CUSTOMER} FROM customers WHERE phone = ? ORDER BY id LIMIT 1"
ORDER_EXISTS = "SELECT 1 FROM orders WHERE order_id = ?"
INSERT_RETURN = f"""
INSERT INTO returns (order_id, sku, reason, status, created_at) VALUES (?, ?, ?, 'requested', ?)
ON CONFLICT (order_id, sku) DO NOTHING RETURNING {_RETURN}
"""
GET_RETURN = f"SELECT {_RETURN} FROM returns WHERE order_id = ? AND sku = ?"
PRODUCT_MATCH = (
    "lower(name) LIKE ? ESCAPE '\\' OR lower(category) LIKE ? ESCAPE '\\' "
    "OR lower(description) LIKE ? ESCAPE '\\' OR lower(sku) LIKE ? ESCAPE '\\'"
)
SEARCH_PRODUCTS = (
    "SELECT sku, name, category, description, price_cents, stock FROM products "
    "WHERE {conditions} LIMIT ?"
)
HAS_ORDERS = "SELECT count(*) FROM (SELECT 1 FROM orders LIMIT 1)"

INSERT_PRODUCT = "INSERT INTO products VALUES (?, ?, ?, ?, ?, ?)"
INSERT_CUSTOMER = f"INSERT INTO customers ({_CUSTOMER}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
INSERT_ORDER = "INSERT INTO orders ({cols}) VALUES ({marks})".format(
    cols=", ".join(ORDER_COLUMNS), marks=", ".join("?" * len(ORDER_COLUMNS))
)
INSERT_ITEM = "INSERT INTO order_items ({cols}) VALUES ({marks})".format(
    cols=", ".join(ITEM_COLUMNS), marks=", ".join("?" * len(ITEM_COLUMNS))
)
INSERT_SEED_RETURN = f"INSERT INTO returns ({_RETURN}) VALUES (?, ?, ?, ?, ?, ?)"
