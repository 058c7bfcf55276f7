"""Alembic environment: uses the engine handed over by Database.upgrade()."""

from alembic import context

from engine.store.models import Base

config = context.config


def run_migrations_online() -> None:
    """Run migrations on the connection of the engine given in config.attributes."""
    engine = config.attributes["engine"]
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=Base.metadata,
                          render_as_batch=engine.dialect.name == "sqlite")
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()
