import logging
from contextlib import contextmanager
from logging.config import fileConfig

from alembic import context
from flask import current_app

# this is the Alembic Config object, which provides
# access to the values within the .ini file in use.
config = context.config

# Interpret the config file for Python logging.
# This line sets up loggers basically.
fileConfig(config.config_file_name)
logger = logging.getLogger("alembic.env")


def get_engine():
    return current_app.extensions["migrate"].db.engine


def get_engine_url():
    try:
        return get_engine().url.render_as_string(hide_password=False).replace("%", "%%")
    except AttributeError:
        return str(get_engine().url).replace("%", "%%")


# add your model's MetaData object here
# for 'autogenerate' support
# from myapp import mymodel
# target_metadata = mymodel.Base.metadata
config.set_main_option("sqlalchemy.url", get_engine_url())
target_db = current_app.extensions["migrate"].db

# other values from the config, defined by the needs of env.py,
# can be acquired:
# my_important_option = config.get_main_option("my_important_option")
# ... etc.


def get_metadata():
    if hasattr(target_db, "metadatas"):
        return target_db.metadatas[None]
    return target_db.metadata


def run_migrations_offline():
    """Run migrations in 'offline' mode.

    This configures the context with just a URL
    and not an Engine, though an Engine is acceptable
    here as well.  By skipping the Engine creation
    we don't even need a DBAPI to be available.

    Calls to context.execute() here emit the given string to the
    script output.

    """
    url = config.get_main_option("sqlalchemy.url")
    context.configure(url=url, target_metadata=get_metadata(), literal_binds=True)

    with context.begin_transaction():
        context.run_migrations()


def render_item(type_, obj, autogen_context):
    """Write app column types as plain SQLAlchemy types in migrations.

    A migration must not import the application: the UTC datetime type is a
    timezone-aware DateTime in the database.
    """
    from clinic.db import UTCDateTime

    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_migrations_online():
    """Run migrations in 'online' mode.

    In this scenario we need to create an Engine
    and associate a connection with the context.

    """

    # this callback is used to prevent an auto-migration from being generated
    # when there are no changes to the schema
    # reference: http://alembic.zzzcomputing.com/en/latest/cookbook.html
    def process_revision_directives(context, revision, directives):
        if getattr(config.cmd_opts, "autogenerate", False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info("No changes in schema detected.")

    conf_args = current_app.extensions["migrate"].configure_args
    conf_args.setdefault("render_item", render_item)
    # With the BEGIN IMMEDIATE recipe SQLite DDL is transactional too: a
    # failed migration leaves the database as it was.
    conf_args.setdefault("transactional_ddl", True)
    from clinic.db import include_object_for

    conf_args.setdefault(
        "include_object", include_object_for(get_engine().dialect.name)
    )
    if conf_args.get("process_revision_directives") is None:
        conf_args["process_revision_directives"] = process_revision_directives

    connectable = get_engine()

    with connectable.connect() as connection:
        context.configure(
            connection=connection, target_metadata=get_metadata(), **conf_args
        )
        with (
            _sqlite_foreign_keys_deferred_to_the_end(connection),
            context.begin_transaction(),
        ):
            context.run_migrations()
            _check_sqlite_foreign_keys(connection)


def _raw_sqlite(connection):
    if connection.dialect.name != "sqlite":
        return None
    return connection.connection.driver_connection


@contextmanager
def _sqlite_foreign_keys_deferred_to_the_end(connection):
    """SQLite batch migrations rebuild a table (create, copy, drop, rename);
    with foreign keys enforced, dropping a table that other rows point at
    fails, so a clinic holding data could not upgrade. SQLite only switches
    enforcement outside a transaction: off for the run, the whole database
    checked before the commit (``_check_sqlite_foreign_keys``), on again."""
    raw = _raw_sqlite(connection)
    if raw is None:
        yield
        return
    raw.execute("PRAGMA foreign_keys = OFF")
    try:
        yield
    finally:
        raw.execute("PRAGMA foreign_keys = ON")


def _check_sqlite_foreign_keys(connection):
    if _raw_sqlite(connection) is None:
        return
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"the migration broke foreign keys: {broken[:5]}")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
