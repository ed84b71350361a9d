/*
 * tests/unit/http_vectors.h: well-formed TSP/1 messages shared by the
 * HTTP framer's test drivers (and usable as fuzz seeds).
 */
#ifndef SLUICE_HTTP_VECTORS_H
#define SLUICE_HTTP_VECTORS_H

#define V_HOST "Host: cloud.example.net\r\n"
#define V_AUTH "Authorization: Basic dGVuYW50LWE6czNjcmV0\r\n" /* tenant-a:s3cret */
#define V_DIGEST "Tsp-Digest: sha256=" \
	"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\r\n"

#define V_HELLO "GET /tsp/1/session HTTP/1.1\r\n" V_HOST V_AUTH \
	"User-Agent: sluice-tenant/0.1\r\n\r\n"

#define V_JOB_OPEN "POST /tsp/1/backup/jobs/job-1 HTTP/1.1\r\n" V_HOST V_AUTH \
	"Tsp-Origin: vbr\r\nTsp-Workload: vsphere\r\nContent-Length: 0\r\n\r\n"

#define V_BLOCK_BODY "0123456789abcdef!" /* 17 bytes */
#define V_BLOCK_WRITE "PUT /tsp/1/backup/jobs/job-1/tasks/vm-1/blocks/0 HTTP/1.1\r\n" \
	V_HOST V_AUTH V_DIGEST "Content-Length: 17\r\nExpect: 100-continue\r\n\r\n" V_BLOCK_BODY

#define V_BLOCK_READ "GET /tsp/1/restore/jobs/r-1/tasks/vm-1/blocks/7 HTTP/1.1\r\n" \
	V_HOST V_AUTH "\r\n"

#define V_JOB_CLOSE "POST /tsp/1/backup/jobs/job-1/close HTTP/1.1\r\n" V_HOST V_AUTH \
	"Tsp-Result: success\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"

#define V_HELLO_REPLY "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" \
	"Content-Length: 32\r\n\r\n{\"tsp\":1,\"server\":\"sluice-repo\"}"

#define V_CONTINUE "HTTP/1.1 100 Continue\r\n\r\n"
#define V_CREATED "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"

#define V_CHUNKED_REPLY "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" \
	"a\r\n0123456789\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\n\r\n"

#define V_NO_CONTENT "HTTP/1.1 204 No Content\r\nTsp-Job: job-1\r\n\r\n"

#define V_MAINTENANCE "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n" \
	"Retry-After: 600\r\nTsp-Maintenance: drain\r\nConnection: close\r\nContent-Length: 63\r\n\r\n" \
	"{\"error\":\"maintenance\",\"message\":\"storage upgrade until 06:00\"}"

#endif
