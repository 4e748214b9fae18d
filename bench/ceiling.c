/* ceiling: the fastest HTTP/1.1 answer this machine can give, to read the servers against.
 *
 * usage: ceiling PORT BODY_BYTES [PROCESSES [close]]
 *
 * PROCESSES processes (default 2), each with its own SO_REUSEPORT listener on 127.0.0.1:PORT and
 * one epoll loop. Every read from a connection is taken as one whole request (wrk neither
 * pipelines nor splits its heads), and a fixed response with a BODY_BYTES body is written back:
 * head and body in one write() up to 16 KiB, above that the head with MSG_MORE and the body
 * with sendfile() from an in-memory file, as a server sends a large static file. No parsing,
 * no file lookup, no logging, no keep-alive limit: only the sockets and the kernel's cost.
 * With `close` every response says `Connection: close` and the connection is closed once it is
 * written, as a server answers a client that asked for it (the bench's new-connection load).
 * The parent forks the workers and waits; SIGTERM to the parent stops them all.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_FDS 65536

#define SMALL_BODY 16384

/* What is written from memory: the head, and the body too when it is small. */
static char *response;
static size_t response_len;
/* The whole response's length; past response_len the bytes come from body_fd by sendfile. */
static size_t total_len;
static int body_fd = -1;
/* Bytes of the current response already written, per descriptor (0: nothing pending). */
static size_t sent[MAX_FDS];
/* `close` mode: one response per connection. */
static int close_after;

static int listener(int port) {
    int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    setsockopt(s, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (bind(s, (struct sockaddr *)&a, sizeof a) != 0 || listen(s, 511) != 0) {
        perror("ceiling: bind/listen");
        exit(1);
    }
    return s;
}

/* Writes what is left of the response; returns 1 when done, 0 when it would block, -1 on error. */
static int flush(int fd) {
    while (sent[fd] < total_len) {
        ssize_t n;
        if (sent[fd] < response_len) {
            int more = total_len > response_len ? MSG_MORE : 0;
            n = send(fd, response + sent[fd], response_len - sent[fd], more);
        } else {
            off_t off = (off_t)(sent[fd] - response_len);
            n = sendfile(fd, body_fd, &off, total_len - sent[fd]);
        }
        if (n < 0)
            return errno == EAGAIN ? 0 : -1;
        sent[fd] += (size_t)n;
    }
    sent[fd] = 0;
    return 1;
}

static void serve(int port) {
    int ls = listener(port);
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = ls};
    epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
    struct epoll_event evs[256];
    char buf[16384];
    for (;;) {
        int n = epoll_wait(ep, evs, 256, -1);
        for (int i = 0; i < n; i++) {
            int fd = evs[i].data.fd;
            if (fd == ls) {
                int c;
                while ((c = accept4(ls, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                    if (c >= MAX_FDS) { close(c); continue; }
                    int one = 1;
                    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    struct epoll_event ce = {.events = EPOLLIN, .data.fd = c};
                    epoll_ctl(ep, EPOLL_CTL_ADD, c, &ce);
                }
                continue;
            }
            if (evs[i].events & EPOLLOUT) {
                int r = flush(fd);
                if (r < 0 || (r == 1 && close_after)) { sent[fd] = 0; close(fd); continue; }
                if (r == 1) {
                    struct epoll_event ce = {.events = EPOLLIN, .data.fd = fd};
                    epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ce);
                }
                continue;
            }
            ssize_t got = read(fd, buf, sizeof buf);
            if (got <= 0) {
                if (got < 0 && errno == EAGAIN) continue;
                sent[fd] = 0;
                close(fd);
                continue;
            }
            int r = flush(fd);
            if (r < 0 || (r == 1 && close_after)) { sent[fd] = 0; close(fd); continue; }
            if (r == 0) {
                struct epoll_event ce = {.events = EPOLLOUT, .data.fd = fd};
                epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ce);
            }
        }
    }
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: ceiling PORT BODY_BYTES [PROCESSES [close]]\n");
        return 2;
    }
    int port = atoi(argv[1]);
    size_t body = (size_t)atol(argv[2]);
    int procs = argc > 3 ? atoi(argv[3]) : 2;
    close_after = argc > 4 && strcmp(argv[4], "close") == 0;
    char head[256];
    int hl = snprintf(head, sizeof head,
                      "HTTP/1.1 200 OK\r\nServer: ceiling\r\nContent-Type: application/octet-stream\r\n"
                      "Content-Length: %zu\r\n%s\r\n", body,
                      close_after ? "Connection: close\r\n" : "");
    total_len = (size_t)hl + body;
    if (body <= SMALL_BODY) {
        response_len = total_len;
        response = malloc(response_len);
        memcpy(response, head, (size_t)hl);
        memset(response + hl, 'x', body);
    } else {
        response_len = (size_t)hl;
        response = malloc(response_len);
        memcpy(response, head, (size_t)hl);
        char *fill = malloc(body);
        memset(fill, 'x', body);
        body_fd = memfd_create("ceiling-body", 0);
        if (body_fd < 0 || write(body_fd, fill, body) != (ssize_t)body) {
            perror("ceiling: memfd");
            return 1;
        }
        free(fill);
    }
    signal(SIGPIPE, SIG_IGN);

    pid_t kids[64];
    if (procs < 1) procs = 1;
    if (procs > 64) procs = 64;
    for (int i = 0; i < procs; i++) {
        kids[i] = fork();
        if (kids[i] == 0) {
            serve(port);
            _exit(0);
        }
    }
    /* The parent only waits; on TERM it passes the signal on. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigprocmask(SIG_BLOCK, &set, NULL);
    int sig;
    sigwait(&set, &sig);
    for (int i = 0; i < procs; i++)
        kill(kids[i], SIGTERM);
    while (wait(NULL) > 0) {
    }
    return 0;
}
