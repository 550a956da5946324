"""Who may do what on Redis: one user per service, restricted to its keys and to the commands a service needs (no
FLUSHALL, KEYS, CONFIG, DEBUG, ...: ``-@dangerous``); the default user is off. ``admin`` is the infrastructure's own
(start-up checks, backups). Keys under the services' prefix (``buurt:`` by default):

    search        its index, query cache and visitor statistics (idx:, cache:, stats:); reads the demand counts
    registration  its request store and rate limits (reg:); reads the index (listings counted) and the demand counts
    insights      the demand counts (insights:)

A replicated Redis (redis_sentinel.py) adds two infrastructure users: ``replica`` (a replica's link to its primary)
and ``sentinel`` (Sentinel's monitoring and its failover commands), with the commands the Redis manual lists for them.
"""

ADMIN = "admin"
REPLICA = "replica"
SENTINEL = "sentinel"
SERVICE_COMMANDS = "+@read +@write +@scripting +@connection +@transaction -@dangerous"
SERVICE_USERS = {"buurt-search": "search", "buurt-registration": "registration", "buurt-insights": "insights"}


def rules(prefix: str = "buurt:") -> dict[str, str]:
    """Each user's ACL rules (without its password), for the services' keys under ``prefix``."""
    return {
        ADMIN: "~* &* +@all",
        "search": f"~{prefix}idx:* ~{prefix}cache:* ~{prefix}stats:* %R~{prefix}insights:* {SERVICE_COMMANDS}",
        "registration": f"~{prefix}reg:* %R~{prefix}idx:* %R~{prefix}insights:* {SERVICE_COMMANDS}",
        "insights": f"~{prefix}insights:* {SERVICE_COMMANDS}",
        REPLICA: "+psync +replconf +ping",
        SENTINEL: "&* +multi +slaveof +ping +exec +subscribe +config|rewrite +role +publish +info +client|setname "
                  "+client|kill +script|kill",
    }
