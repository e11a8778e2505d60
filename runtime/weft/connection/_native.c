/* C accelerators for the connection layer: `first_step`, and the HTTP/1.1
 * connection's fast lane (`data_received`, `_pump`; further down).
 *
 * Why: most handlers finish without ever suspending, so connections run a
 * service coroutine inline until it first suspends (weft.connection.eager).
 * In Python that is `coro.send(None)` plus a StopIteration raised and caught
 * for every request; CPython's PyIter_Send returns the coroutine's value
 * without raising anything. `py_first_step` in eager.py is the
 * specification: same results, same exceptions (tests compare them).
 */

#include "_native_slots.h"

static PyTypeObject *suspended_type;
static Py_ssize_t suspended_value_off = -1;

/* first_step(coro): its return value, or Suspended(value it yielded). */
static PyObject *
first_step(PyObject *module, PyObject *coro)
{
    if (suspended_type == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "weft.connection._native is not bound");
        return NULL;
    }
    PyObject *result = NULL;
    PySendResult r = PyIter_Send(coro, Py_None, &result);
    if (r == PYGEN_RETURN)
        return result;
    if (r == PYGEN_ERROR)
        return NULL;
    PyObject *s = suspended_type->tp_alloc(suspended_type, 0);
    if (s == NULL) {
        Py_DECREF(result);
        return NULL;
    }
    SLOT(s, suspended_value_off) = result;  /* a fresh object: the slot was empty */
    return s;
}

static PyObject *
bind(PyObject *module, PyObject *arg)
{
    if (!PyType_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "bind needs the Suspended class");
        return NULL;
    }
    PyTypeObject *tp = (PyTypeObject *)arg;
    static const char *const names[1] = {"value"};
    if (slot_offsets(tp, names, 1, &suspended_value_off) < 0)
        return NULL;
    Py_INCREF(tp);
    Py_XSETREF(suspended_type, tp);
    Py_RETURN_NONE;
}


/* ---------------------------------------------------------------- fast lane
 *
 * Http1Connection.data_received and _pump for the common case, transcribed
 * from http1.py, which stays the specification (`py_data_received`,
 * `py_pump`; the connection suites run against both builds): bytes arrive
 * on an idle connection, the parser's fast path frames each complete simple
 * request, the eager service answers with a finished Response, and its
 * encoded bytes are written once per read. Everything else is handed to the
 * Python methods at the point where it arises (a queued or suspended request,
 * a head the fast path declines, a streamed or awaited response, an
 * exception, TLS, h2c sniffing), with the state the C code left behind,
 * which is the state the Python code would have left. */

enum {
    K_BUSY, K_CLOSE_AFTER, K_CLOSING, K_CONTINUE_PENDING, K_DEADLINE, K_DEADLINE_KIND, K_EAGER,
    K_ENCODE, K_HELD, K_HTTPS, K_IN_FLIGHT, K_KEEPALIVE, K_LOOP, K_MAX_PIPELINE, K_OUT, K_PARSER,
    K_PEER, K_QUEUE, K_READ_PAUSED, K_SERVICE, K_SNIFF, K_STATS, K_TIMER, K_TIMER_AT, K_TRANSPORT,
    K_COUNT
};
static const char *const CONN_SLOTS[K_COUNT] = {
    "_busy", "_close_after", "_closing", "_continue_pending", "_deadline", "_deadline_kind",
    "_eager", "_encode", "_held", "_https", "_in_flight", "_keepalive", "_loop", "_max_pipeline",
    "_out", "_parser", "_peer", "_queue", "_read_paused", "_service", "_sniff", "_stats", "_timer",
    "_timer_at", "_transport"};
enum { PS_BUF, PS_DRAINED, PS_POS, PS_SCAN, PS_STATE, PS_TEXT, PS_COUNT };
static const char *const PARSER_SLOTS[PS_COUNT] = {"_buf", "drained", "_pos", "_scan", "state",
                                                   "_text"};
enum { RQ_HTTP_VERSION, RQ_METHOD, RQ_PEER, RQ_COUNT };
static const char *const REQUEST_SLOTS[RQ_COUNT] = {"http_version", "method", "peer"};
enum { RS_STREAM, RS_COUNT };
static const char *const RESPONSE_SLOTS[RS_COUNT] = {"stream"};
enum { ST_BYTES_IN, ST_BYTES_OUT, ST_REQUESTS_TOTAL, ST_COUNT };
static const char *const STATS_SLOTS[ST_COUNT] = {"bytes_in", "bytes_out", "requests_total"};

static Py_ssize_t conn_off[K_COUNT], parser_off[PS_COUNT], request_off[RQ_COUNT],
    response_off[RS_COUNT], stats_off[ST_COUNT];
static PyTypeObject *conn_type, *parser_type, *request_type, *response_type, *stats_type;
static PyObject *py_data_received, *py_pump, *next_request, *need_data, *state_head,
    *state_closed, *state_error, *continue_100, *cancelled_error;
static PyObject *s_head, *s_get, *s_10, *s_11, *s_time, *s_write, *s_join, *s_feed, *s_arm, *s_update_deadline,
    *s_resume_reading, *s_handler_failed, *s_await_response, *s_respond, *s_request_done,
    *s_close, *s_dispatch, *s_suspended, *empty_bytes;

/* A slot that must be set (borrowed); NULL with AttributeError otherwise. */
static PyObject *
get(PyObject *obj, Py_ssize_t off, const char *name)
{
    PyObject *v = SLOT(obj, off);
    if (v == NULL)
        PyErr_Format(PyExc_AttributeError, "slot %s is not set", name);
    return v;
}
#define CONN(self, k) get((self), conn_off[k], CONN_SLOTS[k])

/* obj.<slot> += amount, for the ServerStats counters (obj must be one). */
static int
add_to(PyObject *obj, Py_ssize_t off, Py_ssize_t amount)
{
    if (!Py_IS_TYPE(obj, stats_type)) {
        PyErr_SetString(PyExc_TypeError, "the connection's stats are not a ServerStats");
        return -1;
    }
    PyObject *v = SLOT(obj, off);
    if (v == NULL) {
        PyErr_SetString(PyExc_AttributeError, "ServerStats counter is not set");
        return -1;
    }
    PyObject *n = PyLong_FromSsize_t(amount);
    if (n == NULL)
        return -1;
    PyObject *sum = PyNumber_Add(v, n);
    Py_DECREF(n);
    if (sum == NULL)
        return -1;
    put(obj, off, sum);
    return 0;
}

static PyObject *
call0(PyObject *self, PyObject *name)
{
    return PyObject_CallMethodNoArgs(self, name);
}

/* Call self.name(args...) and drop the result; -1 on error. */
static int
call_drop(PyObject *self, PyObject *name, PyObject *a, PyObject *b, PyObject *c)
{
    PyObject *args[4] = {self, a, b, c};
    size_t n = 1 + (a != NULL) + (b != NULL) + (c != NULL);
    PyObject *r = PyObject_VectorcallMethod(name, args, n, NULL);
    if (r == NULL)
        return -1;
    Py_DECREF(r);
    return 0;
}

/* Call self.name(a, b, c, d) and drop the result; -1 on error. */
static int
call_drop4(PyObject *self, PyObject *name, PyObject *a, PyObject *b, PyObject *c, PyObject *d)
{
    PyObject *args[5] = {self, a, b, c, d};
    PyObject *r = PyObject_VectorcallMethod(name, args, 5, NULL);
    if (r == NULL)
        return -1;
    Py_DECREF(r);
    return 0;
}

static int
truthy(PyObject *obj, Py_ssize_t off, const char *name)
{
    PyObject *v = get(obj, off, name);
    return v == NULL ? -1 : PyObject_IsTrue(v);
}

/* Http1Parser.mid_message */
static int
mid_message(PyObject *parser)
{
    PyObject *st = SLOT(parser, parser_off[PS_STATE]);
    if (st == state_head) {
        PyObject *buf = SLOT(parser, parser_off[PS_BUF]);
        PyObject *pos = SLOT(parser, parser_off[PS_POS]);
        if (buf == NULL || pos == NULL) {
            PyErr_SetString(PyExc_AttributeError, "Http1Parser is not initialised");
            return -1;
        }
        Py_ssize_t n = PyObject_Length(buf);
        Py_ssize_t p = PyLong_AsSsize_t(pos);
        if (n < 0 || (p == -1 && PyErr_Occurred()))
            return -1;
        return p < n;
    }
    return st != state_closed && st != state_error;
}

/* The common case of Http1Parser.feed: nothing left over, so the new bytes
 * become the buffer. 1 if done here, 0 if the Python method must do it. */
static int
feed_fast(PyObject *parser, PyObject *data)
{
    PyObject *st = SLOT(parser, parser_off[PS_STATE]);
    PyObject *buf = SLOT(parser, parser_off[PS_BUF]);
    PyObject *pos = SLOT(parser, parser_off[PS_POS]);
    if (st == NULL || buf == NULL || pos == NULL || !PyBytes_CheckExact(buf)
        || !PyLong_CheckExact(pos))
        return 0;
    if (PyBytes_GET_SIZE(data) == 0 || st == state_closed || st == state_error)
        return 1;  /* feed ignores these */
    Py_ssize_t p = PyLong_AsSsize_t(pos);
    if (p == -1 && PyErr_Occurred())
        return -1;
    if (p < PyBytes_GET_SIZE(buf))
        return 0;
    put_const(parser, parser_off[PS_TEXT], Py_None);
    put_const(parser, parser_off[PS_DRAINED], Py_False);
    put_const(parser, parser_off[PS_BUF], data);
    PyObject *zero = PyLong_FromLong(0);
    if (zero == NULL)
        return -1;
    Py_INCREF(zero);
    put(parser, parser_off[PS_SCAN], zero);
    put(parser, parser_off[PS_POS], zero);
    return 1;
}

static int
is_exception_handled(void)
{
    return PyErr_ExceptionMatches(PyExc_Exception)
           || (cancelled_error != NULL && PyErr_ExceptionMatches(cancelled_error));
}

/* Call the service for `request`: its eager method if it has one, else the
 * service itself with a returned coroutine run to its first suspension.
 * Returns what it answered, with *finished set when that is a coroutine's
 * return value (to answer with as it is) rather than what the service
 * returned (which may still need awaiting); or NULL: with an exception set
 * if it must propagate, without one if it was handled here (handed to
 * _handler_failed, or suspended and handed to _suspended). */
static PyObject *
call_service(PyObject *self, PyObject *request, PyObject *eager, int *finished)
{
    *finished = 0;
    PyObject *target = eager != Py_None ? eager : CONN(self, K_SERVICE);
    if (target == NULL)
        return NULL;
    Py_INCREF(target);
    PyObject *response = PyObject_Vectorcall(target, &request, 1, NULL);
    Py_DECREF(target);
    if (response != NULL && eager == Py_None && PyCoro_CheckExact(response)) {
        PyObject *coro = response, *value = NULL;
        PySendResult sent = PyIter_Send(coro, Py_None, &value);
        if (sent == PYGEN_NEXT) {
            call_drop4(self, s_suspended, request, Py_True, coro, value);
            Py_DECREF(coro);
            Py_DECREF(value);
            return NULL;  /* an error from _suspended stays set */
        }
        Py_DECREF(coro);
        response = sent == PYGEN_RETURN ? value : NULL;
        *finished = response != NULL;
    }
    if (response == NULL && is_exception_handled()) {
        PyObject *exc = take_exception();
        call_drop(self, s_handler_failed, request, Py_True, exc ? exc : Py_None);
        Py_XDECREF(exc);
    }
    return response;
}

/* Http1Connection._dispatch for a fast-path request (keep_alive is True). */
static int
dispatch(PyObject *self, PyObject *request)
{
    PyObject *https = CONN(self, K_HTTPS), *eager = CONN(self, K_EAGER);
    if (https == NULL || eager == NULL)
        return -1;
    if (https != Py_False || !Py_IS_TYPE(request, request_type))
        return call_drop(self, s_dispatch, request, Py_True, NULL);
    PyObject *stats = CONN(self, K_STATS), *peer = CONN(self, K_PEER);
    if (stats == NULL || peer == NULL || add_to(stats, stats_off[ST_REQUESTS_TOTAL], 1) < 0)
        return -1;
    put_const(request, request_off[RQ_PEER], peer);
    int finished;
    Py_INCREF(eager);
    PyObject *response = call_service(self, request, eager, &finished);
    Py_DECREF(eager);
    if (response == NULL)
        return PyErr_Occurred() ? -1 : 0;
    int rc = 0;
    if (!Py_IS_TYPE(response, response_type)) {
        /* _respond answers a value that is not a Response with a logged 500 */
        rc = call_drop(self, finished ? s_respond : s_await_response, request,
                       finished ? response : Py_True, finished ? Py_True : response);
        goto done;
    }
    if (SLOT(response, response_off[RS_STREAM]) != Py_None) {
        rc = call_drop(self, s_respond, request, response, Py_True);
        goto done;
    }
    PyObject *method = SLOT(request, request_off[RQ_METHOD]);
    PyObject *version = SLOT(request, request_off[RQ_HTTP_VERSION]);
    int close_after = truthy(self, conn_off[K_CLOSE_AFTER], "_close_after");
    if (method == NULL || version == NULL || close_after < 0) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_AttributeError, "Request is not initialised");
        rc = -1;
        goto done;
    }
    /* Interned strs: the parser's fast path gives these very objects. */
    int head_only = method == s_head ? 1 : method == s_get ? 0
                    : PyObject_RichCompareBool(method, s_head, Py_EQ);
    int http10 = version == s_10 ? 1 : version == s_11 ? 0
                 : PyObject_RichCompareBool(version, s_10, Py_EQ);
    if (head_only < 0 || http10 < 0) {
        rc = -1;
        goto done;
    }
    PyObject *encode = CONN(self, K_ENCODE);
    if (encode == NULL) {
        rc = -1;
        goto done;
    }
    PyObject *eargs[4] = {response, head_only ? Py_True : Py_False,
                          close_after ? Py_False : Py_True, http10 ? Py_True : Py_False};
    Py_INCREF(encode);
    PyObject *encoded = PyObject_Vectorcall(encode, eargs, 4, NULL);
    Py_DECREF(encode);
    if (encoded == NULL) {
        if (PyErr_ExceptionMatches(PyExc_ValueError)) {  /* UnicodeEncodeError is one */
            PyErr_Clear();
            rc = call_drop(self, s_respond, request, response, Py_True);  /* logs it, 500 */
        } else {
            rc = -1;
        }
        goto done;
    }
    if (!PyTuple_CheckExact(encoded) || PyTuple_GET_SIZE(encoded) != 2) {
        Py_DECREF(encoded);
        PyErr_SetString(PyExc_TypeError, "encode did not return (bytes, keep_alive)");
        rc = -1;
        goto done;
    }
    PyObject *out = CONN(self, K_OUT);
    int keep = PyObject_IsTrue(PyTuple_GET_ITEM(encoded, 1));
    if (out == NULL || keep < 0 || PyList_Append(out, PyTuple_GET_ITEM(encoded, 0)) < 0) {
        Py_DECREF(encoded);
        rc = -1;
        goto done;
    }
    Py_DECREF(encoded);
    int in_flight = truthy(self, conn_off[K_IN_FLIGHT], "_in_flight");
    if (in_flight < 0 || (in_flight && call_drop(self, s_request_done, NULL, NULL, NULL) < 0)
        || (!keep && call_drop(self, s_close, NULL, NULL, NULL) < 0))
        rc = -1;
done:
    Py_DECREF(response);
    return rc;
}

/* The end of Http1Connection._pump: write what was produced, set the deadline. */
static int
pump_tail(PyObject *self, PyObject *parser)
{
    PyObject *rp = CONN(self, K_READ_PAUSED);
    if (rp == NULL)
        return -1;
    long read_paused = PyLong_AsLong(rp);
    if (read_paused == -1 && PyErr_Occurred())
        return -1;
    int closing = truthy(self, conn_off[K_CLOSING], "_closing");
    if (closing < 0)
        return -1;
    if ((read_paused & 1) && !closing) {  /* _PAUSE_PIPELINE */
        PyObject *queue = CONN(self, K_QUEUE), *maxq = CONN(self, K_MAX_PIPELINE);
        if (queue == NULL || maxq == NULL)
            return -1;
        int resume = 1;
        if (queue != Py_None) {
            Py_ssize_t qlen = PyObject_Length(queue);
            Py_ssize_t qmax = PyLong_AsSsize_t(maxq);
            if (qlen < 0 || (qmax == -1 && PyErr_Occurred()))
                return -1;
            resume = qlen == 0 || qlen < qmax;
        }
        if (resume) {
            PyObject *flag = PyLong_FromLong(1);
            if (flag == NULL)
                return -1;
            int r = call_drop(self, s_resume_reading, flag, NULL, NULL);
            Py_DECREF(flag);
            if (r < 0)
                return -1;
        }
    }
    int cont = truthy(self, conn_off[K_CONTINUE_PENDING], "_continue_pending");
    if (cont < 0)
        return -1;
    if (cont) {
        int busy = truthy(self, conn_off[K_BUSY], "_busy");
        int queued = truthy(self, conn_off[K_QUEUE], "_queue");
        PyObject *out = CONN(self, K_OUT);
        if (busy < 0 || queued < 0 || out == NULL)
            return -1;
        if (!busy && !queued) {
            put_const(self, conn_off[K_CONTINUE_PENDING], Py_False);
            if (PyList_Append(out, continue_100) < 0)
                return -1;
        }
    }
    PyObject *out = CONN(self, K_OUT);
    if (out == NULL)
        return -1;
    if (!PyList_CheckExact(out)) {
        PyErr_SetString(PyExc_TypeError, "Http1Connection._out is not a list");
        return -1;
    }
    Py_ssize_t n = PyList_GET_SIZE(out);
    if (n) {
        PyObject *data;
        if (n == 1) {
            data = PyList_GET_ITEM(out, 0);
            Py_INCREF(data);
        } else {
            data = PyObject_CallMethodOneArg(empty_bytes, s_join, out);
            if (data == NULL)
                return -1;
        }
        if (PyList_SetSlice(out, 0, PyList_GET_SIZE(out), NULL) < 0) {
            Py_DECREF(data);
            return -1;
        }
        PyObject *transport = CONN(self, K_TRANSPORT);
        int rc = 0;
        if (transport == NULL) {
            rc = -1;
        } else if (transport != Py_None) {
            PyObject *stats = CONN(self, K_STATS);
            Py_ssize_t size = PyObject_Length(data);
            Py_INCREF(transport);
            if (stats == NULL || size < 0 || add_to(stats, stats_off[ST_BYTES_OUT], size) < 0)
                rc = -1;
            else
                rc = call_drop(transport, s_write, data, NULL, NULL);
            Py_DECREF(transport);
        }
        Py_DECREF(data);
        if (rc < 0)
            return -1;
    }
    int busy = truthy(self, conn_off[K_BUSY], "_busy");
    int queued = truthy(self, conn_off[K_QUEUE], "_queue");
    closing = truthy(self, conn_off[K_CLOSING], "_closing");
    if (busy < 0 || queued < 0 || closing < 0)
        return -1;
    int idle = 0;
    if (!busy && !closing && !queued) {
        if (SLOT(parser, parser_off[PS_DRAINED]) == Py_True) {
            idle = 1;
        } else {
            int drained = truthy(parser, parser_off[PS_DRAINED], "drained");
            int mid = drained < 0 ? -1 : (drained ? 0 : mid_message(parser));
            if (drained < 0 || mid < 0)
                return -1;
            idle = drained || !mid;
        }
    }
    if (!idle)
        return call_drop(self, s_update_deadline, NULL, NULL, NULL);
    PyObject *loop = CONN(self, K_LOOP), *keepalive = CONN(self, K_KEEPALIVE);
    if (loop == NULL || keepalive == NULL)
        return -1;
    PyObject *now = call0(loop, s_time);
    if (now == NULL)
        return -1;
    PyObject *deadline = PyNumber_Add(now, keepalive);
    Py_DECREF(now);
    if (deadline == NULL)
        return -1;
    Py_INCREF(deadline);
    put(self, conn_off[K_DEADLINE], deadline);
    PyObject *kind = PyLong_FromLong(1);  /* _IDLE */
    if (kind == NULL) {
        Py_DECREF(deadline);
        return -1;
    }
    put(self, conn_off[K_DEADLINE_KIND], kind);
    PyObject *timer = CONN(self, K_TIMER), *timer_at = CONN(self, K_TIMER_AT);
    int rearm = timer == NULL || timer_at == NULL ? -1
                : timer == Py_None ? 1 : PyObject_RichCompareBool(deadline, timer_at, Py_LT);
    Py_DECREF(deadline);
    if (rearm < 0)
        return -1;
    if (rearm) {
        PyObject *idle_kind = PyLong_FromLong(1);
        if (idle_kind == NULL)
            return -1;
        int r = call_drop(self, s_arm, idle_kind, NULL, NULL);
        Py_DECREF(idle_kind);
        return r;
    }
    return 0;
}

/* Http1Connection._pump */
static PyObject *
pump(PyObject *module, PyObject *self)
{
    if (conn_type == NULL || !Py_IS_TYPE(self, conn_type)) {
        PyErr_SetString(PyExc_TypeError, "_pump needs a bound Http1Connection");
        return NULL;
    }
    PyObject *parser = CONN(self, K_PARSER);
    if (parser == NULL)
        return NULL;
    if (!Py_IS_TYPE(parser, parser_type))
        return PyObject_Vectorcall(py_pump, &self, 1, NULL);
    Py_INCREF(parser);
    for (;;) {
        int closing = truthy(self, conn_off[K_CLOSING], "_closing");
        int queued = truthy(self, conn_off[K_QUEUE], "_queue");
        int held = truthy(self, conn_off[K_HELD], "_held");
        int busy = truthy(self, conn_off[K_BUSY], "_busy");
        if (closing < 0 || queued < 0 || held < 0 || busy < 0)
            goto error;
        if (closing)
            break;
        if (queued)
            goto python;
        if (held)
            break;
        if (busy)
            goto python;
        PyObject *simple = PyObject_Vectorcall(next_request, &parser, 1, NULL);
        if (simple == NULL)
            goto error;
        if (simple == need_data) {
            Py_DECREF(simple);
            break;
        }
        if (simple == Py_None) {
            Py_DECREF(simple);
            goto python;
        }
        int r = dispatch(self, simple);
        Py_DECREF(simple);
        if (r < 0)
            goto error;
        if (SLOT(parser, parser_off[PS_DRAINED]) == Py_True)
            break;  /* nothing buffered: asking again would say NEED_DATA */
    }
    if (pump_tail(self, parser) < 0)
        goto error;
    Py_DECREF(parser);
    Py_RETURN_NONE;
python:
    /* The Python loop carries on from this state, tail included. */
    Py_DECREF(parser);
    return PyObject_Vectorcall(py_pump, &self, 1, NULL);
error:
    Py_DECREF(parser);
    return NULL;
}

/* Http1Connection.data_received */
static PyObject *
data_received(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "data_received(connection, data)");
        return NULL;
    }
    PyObject *self = args[0], *data = args[1];
    if (conn_type == NULL || !Py_IS_TYPE(self, conn_type)) {
        PyErr_SetString(PyExc_TypeError, "data_received needs a bound Http1Connection");
        return NULL;
    }
    int closing = truthy(self, conn_off[K_CLOSING], "_closing");
    if (closing < 0)
        return NULL;
    if (closing)
        Py_RETURN_NONE;
    PyObject *sniff = CONN(self, K_SNIFF), *stats = CONN(self, K_STATS),
             *parser = CONN(self, K_PARSER);
    if (sniff == NULL || stats == NULL || parser == NULL)
        return NULL;
    if (sniff != Py_None || !PyBytes_CheckExact(data) || !Py_IS_TYPE(parser, parser_type))
        return PyObject_Vectorcall(py_data_received, args, 2, NULL);
    if (add_to(stats, stats_off[ST_BYTES_IN], PyBytes_GET_SIZE(data)) < 0)
        return NULL;
    int fed = feed_fast(parser, data);
    if (fed < 0)
        return NULL;
    if (fed == 0 && call_drop(parser, s_feed, data, NULL, NULL) < 0)
        return NULL;
    return pump(module, self);
}

static PyObject *
bind_http1(PyObject *module, PyObject *args)
{
    PyObject *ctype, *ptype, *rqtype, *rstype, *sttype;
    PyObject *py_dr, *py_p, *nr, *nd, *sh, *sc, *se, *c100, *cancelled;
    if (!PyArg_ParseTuple(args, "O!O!O!O!O!OOOOOOOOO:bind_http1", &PyType_Type, &ctype,
                          &PyType_Type, &ptype, &PyType_Type, &rqtype, &PyType_Type, &rstype,
                          &PyType_Type, &sttype, &py_dr, &py_p, &nr, &nd, &sh, &sc, &se, &c100,
                          &cancelled))
        return NULL;
    if (slot_offsets((PyTypeObject *)ctype, CONN_SLOTS, K_COUNT, conn_off) < 0
        || slot_offsets((PyTypeObject *)ptype, PARSER_SLOTS, PS_COUNT, parser_off) < 0
        || slot_offsets((PyTypeObject *)rqtype, REQUEST_SLOTS, RQ_COUNT, request_off) < 0
        || slot_offsets((PyTypeObject *)rstype, RESPONSE_SLOTS, RS_COUNT, response_off) < 0
        || slot_offsets((PyTypeObject *)sttype, STATS_SLOTS, ST_COUNT, stats_off) < 0)
        return NULL;
    if (!PyCallable_Check(py_dr) || !PyCallable_Check(py_p) || !PyCallable_Check(nr)
        || !PyBytes_CheckExact(c100)) {
        PyErr_SetString(PyExc_TypeError, "bind_http1: wrong fallbacks or constants");
        return NULL;
    }
    PyObject **dest[] = {(PyObject **)&conn_type, (PyObject **)&parser_type,
                         (PyObject **)&request_type, (PyObject **)&response_type,
                         (PyObject **)&stats_type, &py_data_received, &py_pump, &next_request, &need_data, &state_head, &state_closed,
                         &state_error, &continue_100, &cancelled_error};
    PyObject *src[] = {ctype, ptype, rqtype, rstype, sttype, py_dr, py_p, nr, nd, sh, sc, se, c100,
                       cancelled};
    keep_all(dest, src, sizeof src / sizeof src[0]);
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"bind", bind, METH_O, "bind(Suspended): the class first_step answers with"},
    {"bind_http1", bind_http1, METH_VARARGS,
     "bind_http1(Http1Connection, Http1Parser, Request, Response, ServerStats, "
     "py_data_received, py_pump, next_request, NEED_DATA, State.HEAD, State.CLOSED, "
     "State.ERROR, CONTINUE_100, CancelledError): what the fast lane reads and falls back to"},
    {"data_received", (PyCFunction)(void (*)(void))data_received, METH_FASTCALL,
     "data_received(connection, data): Http1Connection.data_received in C"},
    {"pump", pump, METH_O, "pump(connection): Http1Connection._pump in C"},
    {"first_step", first_step, METH_O,
     "first_step(coro): run coro until it returns (its value) or first yields "
     "(Suspended(yielded)); exceptions propagate"},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "weft.connection._native",
    "C accelerators for the connection layer (see _native.c).", -1, methods};

static PyObject *
intern(const char *s)
{
    return PyUnicode_InternFromString(s);
}

PyMODINIT_FUNC
PyInit__native(void)
{
    PyObject *m = PyModule_Create(&module_def);
    if (m == NULL)
        return NULL;
    s_head = intern("HEAD");
    s_get = intern("GET");
    s_10 = intern("1.0");
    s_11 = intern("1.1");
    s_time = intern("time");
    s_write = intern("write");
    s_join = intern("join");
    s_feed = intern("feed");
    s_arm = intern("_arm");
    s_update_deadline = intern("_update_deadline");
    s_resume_reading = intern("_resume_reading");
    s_handler_failed = intern("_handler_failed");
    s_await_response = intern("_await_response");
    s_respond = intern("_respond");
    s_request_done = intern("_request_done");
    s_close = intern("_close");
    s_dispatch = intern("_dispatch");
    s_suspended = intern("_suspended");
    empty_bytes = PyBytes_FromStringAndSize("", 0);
    if (!s_head || !s_get || !s_10 || !s_11 || !s_time || !s_write || !s_join || !s_feed || !s_arm
        || !s_update_deadline || !s_resume_reading || !s_handler_failed || !s_await_response
        || !s_respond || !s_request_done || !s_close || !s_dispatch || !s_suspended || !empty_bytes
        || add_method_wrapper(m, "data_received") < 0 || add_method_wrapper(m, "pump") < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
