/* SPDX-License-Identifier: Apache-2.0 */
/* vmcp-telemetry-collector: the receiving end of `run --telemetry on`. */
#include "fleet.h"
#include "server.h"
#include "../src/common.h"
#include "../util/hash.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char help[] =
	"usage: " VT_COLLECTOR_NAME " --listen ADDR:PORT --db FILE [options]\n"
	"\n"
	"Receives the reports that 'vmcp-telemetry run --telemetry on' uploads,\n"
	"validates each as strictly as the client reads its own, stores it once\n"
	"in an SQLite database, and answers fleet questions:\n"
	"  POST /v1/reports   a report (gzip); 201 stored, 200 already held,\n"
	"                     400 not a valid report, 401 bad token, 413 too\n"
	"                     large, 415 wrong type, 429 busy (Retry-After)\n"
	"  GET  /v1/summary?from=YYYY-MM-DD&to=YYYY-MM-DD[&by=day|week]\n"
	"                     the merged report of that range (JSON)\n"
	"  GET  /             the dashboard (HTML; ?by=week for weekly trends)\n"
	"  GET  /metrics      Prometheus text about the collector itself\n"
	"  GET  /healthz      200 when reports can be accepted (a write commits)\n"
	"\n"
	"options:\n"
	"  --listen ADDR:PORT     address and port (IPv6 in brackets: [::]:8080;\n"
	"                         a host name: its first address; :PORT every\n"
	"                         IPv4 address); port 0 takes a free one\n"
	"  --db FILE              the SQLite database (created when missing)\n"
	"  --token-file FILE      accept only requests with a bearer token listed\n"
	"                         in FILE (one a line, at most 16)\n"
	"  --min-installations K  withhold every breakdown cell backed by fewer\n"
	"                         than K installations of a day (default 3; 0 or\n"
	"                         1: none)\n"
	"  --retain-days N        roll reports older than N days into daily\n"
	"                         rollups and drop their raw documents\n"
	"                         (default 0: keep them)\n"
	"  --tls-cert FILE        serve HTTPS with this PEM certificate (chain)\n"
	"  --tls-key FILE         and its PEM private key\n"
	"  --max-body BYTES       largest body, sent and inflated (default 1048576)\n"
	"  --max-inflight N       reports validated at once; more get 429\n"
	"                         (default 8)\n"
	"  --max-connections N    open connections at most (default 256)\n"
	"  --threads N            server threads (default 4)\n"
	"  --timeout SECONDS      close a connection idle this long (default 10)\n"
	"  --request-timeout SECONDS\n"
	"                         answer 408 and close a request (headers and\n"
	"                         body) not all in after this long (default 30)\n"
	"  --servers FILE         extra public MCP server names a report may\n"
	"                         carry (the clients' --servers file)\n"
	"  --clients FILE         extra public MCP client names (the clients'\n"
	"                         --clients file)\n"
	"  --port-file FILE       write the port listened on to FILE\n"
	"  -h, --help             show this help\n"
	"  --version              show the version\n"
	"\n"
	"Exit codes: 0 stopped by SIGTERM or SIGINT; 1 failure; 2 usage error.\n";

/*
 * s as diagnostics show a name: control bytes escaped as \xNN, cut at
 * 200 bytes. One buffer: one call per message.
 */
static const char *shown(const char *s)
{
	static char buf[1024];
	size_t o = 0;

	for (; *s && o + 5 < sizeof(buf) && o < 800; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch < 0x20 || ch == 0x7f)
			o += (size_t)snprintf(buf + o, sizeof(buf) - o, "\\x%02x", ch);
		else
			buf[o++] = (char)ch;
	}
	buf[o] = '\0';
	return buf;
}

__attribute__((format(printf, 1, 2)))
static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, VT_COLLECTOR_NAME ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '" VT_COLLECTOR_NAME " --help'.\n");
	return 2;
}

static int number(const char *s, unsigned long long max,
		  unsigned long long *out)
{
	char *end;

	errno = 0;
	if (!s || *s < '0' || *s > '9')
		return -1;
	*out = strtoull(s, &end, 10);
	return errno || *end || *out > max ? -1 : 0;
}

/* A whole small file (a token, a certificate), NUL-terminated. */
static char *slurp(const char *path, size_t max)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	size_t n;

	if (!f)
		return NULL;
	buf = vt_xmalloc(max + 1);
	n = fread(buf, 1, max + 1, f);
	fclose(f);
	if (n > max) {
		free(buf);
		errno = EFBIG;
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

static int load_tokens(const char *path, struct vt_server_config *cfg)
{
	char *text = slurp(path, 64 * 1024), *save = NULL;

	if (!text) {
		fprintf(stderr, VT_COLLECTOR_NAME ": cannot read token file '%s': %s\n",
			shown(path), strerror(errno));
		return -1;
	}
	for (char *line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		/* Trimmed as the client trims its token file's line. */
		size_t len = strlen(line);

		while (*line == ' ' || *line == '\t')
			line++, len--;
		while (len && (line[len - 1] == ' ' || line[len - 1] == '\t' ||
			       line[len - 1] == '\r'))
			len--;
		if (len == 0)
			continue;
		if (cfg->ntokens == VT_COLLECTOR_MAX_TOKENS) {
			fprintf(stderr, VT_COLLECTOR_NAME ": token file '%s' holds more than %d tokens\n",
				shown(path), VT_COLLECTOR_MAX_TOKENS);
			break;
		}
		vt_sha256(line, len, cfg->tokens[cfg->ntokens++]);
	}
	memset(text, 0, strlen(text));
	free(text);
	if (!cfg->ntokens) {
		fprintf(stderr, VT_COLLECTOR_NAME ": token file '%s' holds no token\n", shown(path));
		return -1;
	}
	return 0;
}

/*
 * ADDR:PORT, [IPV6]:PORT, HOST:PORT or :PORT (every IPv4 address). A host
 * name is looked up once, here (the first address it has); the server
 * listens on a numeric address.
 */
static int parse_listen(const char *arg, struct vt_server_config *cfg)
{
	static char addr[INET6_ADDRSTRLEN + 1];
	const char *colon = strrchr(arg, ':');
	unsigned long long port;
	size_t n = colon ? (size_t)(colon - arg) : 0;
	char host[256];

	if (!colon || number(colon + 1, 65535, &port))
		return -1;
	if (arg[0] == '[') {
		if (n < 3 || arg[n - 1] != ']')
			return -1;
		n -= 2;
		arg++;
	}
	if (n >= sizeof(host))
		return -1;
	memcpy(host, arg, n);
	host[n] = '\0';
	unsigned char sa[sizeof(struct in6_addr)];
	if (n == 0) {
		snprintf(addr, sizeof(addr), "0.0.0.0");
	} else if (inet_pton(AF_INET, host, sa) == 1 || inet_pton(AF_INET6, host, sa) == 1) {
		memcpy(addr, host, n + 1); /* an address is shorter than addr */
	} else {
		struct addrinfo hints = { .ai_flags = AI_PASSIVE, .ai_socktype = SOCK_STREAM };
		struct addrinfo *ai = NULL;

		if (getaddrinfo(host, NULL, &hints, &ai) != 0 || !ai)
			return -1;
		int ok = getnameinfo(ai->ai_addr, ai->ai_addrlen, addr, sizeof(addr),
				     NULL, 0, NI_NUMERICHOST) == 0;
		freeaddrinfo(ai);
		if (!ok)
			return -1;
	}
	cfg->addr = addr;
	cfg->port = (uint16_t)port;
	return 0;
}

struct opts {
	const char *db, *port_file, *cert, *key, *servers, *clients;
	unsigned retain_days;
};

/* The options, and the range of each numeric one. */
enum { O_LISTEN = 256, O_DB, O_TOKEN, O_MIN, O_RETAIN, O_CERT, O_KEY,
       O_BODY, O_INFLIGHT, O_CONNS, O_THREADS, O_TIMEOUT, O_REQTIME,
       O_PORTFILE, O_VERSION, O_SERVERS, O_CLIENTS };
static const struct option longopts[] = {
	{ "listen", required_argument, NULL, O_LISTEN },
	{ "db", required_argument, NULL, O_DB },
	{ "token-file", required_argument, NULL, O_TOKEN },
	{ "min-installations", required_argument, NULL, O_MIN },
	{ "retain-days", required_argument, NULL, O_RETAIN },
	{ "tls-cert", required_argument, NULL, O_CERT },
	{ "tls-key", required_argument, NULL, O_KEY },
	{ "max-body", required_argument, NULL, O_BODY },
	{ "max-inflight", required_argument, NULL, O_INFLIGHT },
	{ "max-connections", required_argument, NULL, O_CONNS },
	{ "threads", required_argument, NULL, O_THREADS },
	{ "timeout", required_argument, NULL, O_TIMEOUT },
	{ "request-timeout", required_argument, NULL, O_REQTIME },
	{ "port-file", required_argument, NULL, O_PORTFILE },
	{ "servers", required_argument, NULL, O_SERVERS },
	{ "clients", required_argument, NULL, O_CLIENTS },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, O_VERSION },
	{ NULL, 0, NULL, 0 },
};

static const char *option_name(int c)
{
	for (size_t i = 0; longopts[i].name; i++)
		if (longopts[i].val == c)
			return longopts[i].name;
	return "?";
}

static int out_of_range(int c, const char *arg, unsigned long long *v)
{
	static const struct {
		int opt;
		unsigned long long min, max;
	} ranges[] = {
		{ O_MIN, 0, 1000000 }, { O_RETAIN, 0, 36500 },
		{ O_BODY, 1, 256u << 20 }, { O_INFLIGHT, 1, 4096 },
		{ O_CONNS, 1, 65536 }, { O_THREADS, 1, 256 },
		{ O_TIMEOUT, 1, 3600 }, { O_REQTIME, 1, 3600 },
	};

	for (size_t i = 0; i < VT_ARRAY_LEN(ranges); i++)
		if (ranges[i].opt == c &&
		    (number(arg, ranges[i].max, v) || *v < ranges[i].min))
			return 1;
	return 0;
}

static int parse(int argc, char **argv, struct vt_server_config *cfg,
		 struct opts *o)
{
	unsigned long long v;
	int c, listen = 0;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		if (out_of_range(c, optarg, &v))
			return usage_error("--%s '%s' is out of range or not a number",
					   option_name(c), shown(optarg));
		switch (c) {
		case O_LISTEN:
			if (parse_listen(optarg, cfg))
				return usage_error("--listen '%s' is not ADDR:PORT (or HOST:PORT, :PORT)",
						   shown(optarg));
			listen = 1;
			break;
		case O_DB: o->db = optarg; break;
		case O_TOKEN:
			if (load_tokens(optarg, cfg))
				return 1;
			break;
		case O_MIN: cfg->min_installations = (unsigned)v; break;
		case O_RETAIN: o->retain_days = (unsigned)v; break;
		case O_CERT: o->cert = optarg; break;
		case O_KEY: o->key = optarg; break;
		case O_BODY: cfg->max_body = (size_t)v; break;
		case O_INFLIGHT: cfg->max_inflight = (unsigned)v; break;
		case O_CONNS: cfg->max_connections = (unsigned)v; break;
		case O_THREADS: cfg->threads = (unsigned)v; break;
		case O_TIMEOUT: cfg->timeout_s = (unsigned)v; break;
		case O_REQTIME: cfg->request_timeout_s = (unsigned)v; break;
		case O_PORTFILE: o->port_file = optarg; break;
		case O_SERVERS: o->servers = optarg; break;
		case O_CLIENTS: o->clients = optarg; break;
		case 'h': fputs(help, stdout); return -1;
		case O_VERSION: puts(VT_COLLECTOR_NAME " " VT_VERSION); return -1;
		case ':':
			return usage_error("option '%s' needs a value", shown(argv[optind - 1]));
		default:
			return usage_error("unknown option '%s'", shown(argv[optind - 1]));
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", shown(argv[optind]));
	if (!listen || !o->db)
		return usage_error("%s", "--listen and --db are required");
	if (!o->cert != !o->key)
		return usage_error("%s", "--tls-cert and --tls-key go together");
	return 0;
}

static int load_tls(const struct opts *o, struct vt_server_config *cfg)
{
	if (!o->cert)
		return 0;
	cfg->tls_cert = slurp(o->cert, 1 << 20);
	cfg->tls_key = cfg->tls_cert ? slurp(o->key, 1 << 20) : NULL;
	if (!cfg->tls_cert || !cfg->tls_key) {
		fprintf(stderr, VT_COLLECTOR_NAME ": cannot read '%s': %s\n",
			shown(cfg->tls_cert ? o->key : o->cert), strerror(errno));
		return -1;
	}
	return 0;
}

static void retain(struct vt_store *st, unsigned days)
{
	int64_t today = (int64_t)time(NULL) / 86400;

	if (days && vt_store_retain(st, today - days, vt_fleet_rollup, NULL))
		fprintf(stderr, VT_COLLECTOR_NAME ": retention could not roll up old reports; it tries again in an hour\n");
}

static int write_port(const char *path, uint16_t port)
{
	FILE *f = fopen(path, "w");

	if (!f || fprintf(f, "%u\n", port) < 0 || fclose(f)) {
		fprintf(stderr, VT_COLLECTOR_NAME ": cannot write '%s'\n", shown(path));
		return -1;
	}
	return 0;
}

/* Serves until SIGTERM or SIGINT; retention at start and hourly. */
static int serve(struct vt_server_config *cfg, const struct opts *o)
{
	sigset_t set;
	char why[256];
	uint16_t port;
	int sig = 0;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	retain(cfg->store, o->retain_days);
	struct vt_server *srv = vt_server_start(cfg, &port, why, sizeof(why));
	if (!srv) {
		fprintf(stderr, VT_COLLECTOR_NAME ": %s\n", why);
		return 1;
	}
	if (o->port_file && write_port(o->port_file, port)) {
		vt_server_stop(srv);
		return 1;
	}
	fprintf(stderr, VT_COLLECTOR_NAME ": listening on port %u\n", port);
	time_t last = time(NULL);
	while (sig != SIGTERM && sig != SIGINT) {
		struct timespec wait = { 60, 0 };

		sig = sigtimedwait(&set, NULL, &wait);
		if (time(NULL) - last >= 3600) {
			retain(cfg->store, o->retain_days);
			last = time(NULL);
		}
	}
	vt_server_stop(srv);
	return 0;
}

int main(int argc, char **argv)
{
	struct vt_server_config cfg = {
		.min_installations = 3, .max_body = VT_COLLECTOR_MAX_BODY_DEFAULT,
		.max_inflight = 8, .max_connections = 256, .threads = 4,
		.timeout_s = 10, .request_timeout_s = 30,
	};
	struct opts o = { 0 };
	char why[256];
	int rc = parse(argc, argv, &cfg, &o);

	if (rc)
		return rc < 0 ? 0 : rc;
	if (load_tls(&o, &cfg))
		return 1;
	/* The shipped name lists, and the extra ones the clients were given. */
	struct vt_tables tables = { 0 };
	if (vt_tables_load(&tables, NULL, o.servers, o.clients)) {
		vt_tables_free(&tables);
		return 1;
	}
	struct vt_ingest_lists lists = { tables.servers, tables.clients };
	cfg.lists = &lists;
	cfg.db_path = o.db;
	/* The database, its WAL and the port file: the service's own. */
	umask(077);
	cfg.store = vt_store_open(o.db, why, sizeof(why));
	if (!cfg.store) {
		fprintf(stderr, VT_COLLECTOR_NAME ": cannot open database '%s': %s\n",
			shown(o.db), why);
		rc = 1;
	} else {
		rc = serve(&cfg, &o);
	}
	vt_store_close(cfg.store);
	vt_tables_free(&tables);
	free((char *)(uintptr_t)cfg.tls_cert);
	free((char *)(uintptr_t)cfg.tls_key);
	return rc;
}
