/**
 * recorder-client.js: the browser side of Recorder Functions, as one plain ES module (no build step,
 * no dependencies). The demo page (index.html + app.js) uses it; an app can import it as it is.
 * docs/recorder-page.md documents the API; in short:
 *
 *   pickMimeType(type)              best MediaRecorder type the browser supports for a recording type
 *   openCapture(type, options)      camera / audio / screen / screen-camera / slides-camera / slides stream, with release();
 *                                   slides: next(), previous(), goTo(i) and a SlideTimeline of the changes
 *   Recording                       MediaRecorder wrapper: timer ticks, optional time limit, device loss
 *   RecorderClient                  the HTTP API: uploads (single PUT or resumable blocks), recordings,
 *                                   storage, recording sessions, edits; waitUntilProcessed()
 *   LiveUpload, LiveStore           a recording staged while it records, each slice in IndexedDB until storage has it;
 *                                   committed at Stop, resumed after a reload (LiveUpload.resumable)
 *   SessionKeeper                   a recording session's heartbeats and its end (also when the tab closes)
 *   LocalRecordings                 IndexedDB keeping recordings that are not uploaded yet (the whole-file path)
 *   exportLocalRecordings(entries)  a ZIP of manifest.json + files for `recorder import-client-recordings`
 */

export const RECORDING_TYPES = Object.freeze(['camera', 'audio', 'screen', 'screen-camera', 'slides-camera', 'slides']);

/** Slide images openCapture draws (what createImageBitmap decodes in every current browser). */
export const SLIDE_IMAGE_TYPES = Object.freeze(['image/png', 'image/jpeg', 'image/webp']);

/** What the API accepts in a slide timeline (docs/api.md, "Slide timeline"). */
export const SLIDE_LIMITS = Object.freeze({ slides: 1000, entries: 500, fileNameLength: 255 });

const VIDEO_TYPES = ['video/webm;codecs=vp9,opus', 'video/webm;codecs=vp8,opus', 'video/webm', 'video/mp4;codecs=avc1,mp4a.40.2', 'video/mp4'];
const AUDIO_TYPES = ['audio/webm;codecs=opus', 'audio/ogg;codecs=opus', 'audio/webm', 'audio/mp4'];

/** The first MIME type MediaRecorder supports here, WebM first (ingest measures and remuxes Chrome's WebM). */
export function pickMimeType(recordingType) {
  const candidates = recordingType === 'audio' ? AUDIO_TYPES : VIDEO_TYPES;
  const type = candidates.find((candidate) => globalThis.MediaRecorder?.isTypeSupported(candidate));
  if (!type) throw new Error(`This browser cannot record ${recordingType} with MediaRecorder.`);
  return type;
}

// ---------------------------------------------------------------------------------------------
// Capture

/**
 * Opens the devices for a recording type. Resolves to { recordingType, stream, sources, release() }:
 * `stream` is what to preview and record, `sources` the devices' own tracks (watch them for device
 * loss), release() stops them all. Rejects with the browser's DOMException (NotAllowedError when
 * permission is denied, NotFoundError …). screen-camera draws the camera into a corner of the screen
 * on a canvas, so one video track is recorded; several audio sources are mixed into one track.
 * slides and slides-camera draw `slides` (PNG, JPEG or WebP Files/Blobs, or { image, fileName }) on a
 * width × height canvas, with the camera in a corner for slides-camera, and record the microphone; the
 * capture also has canvas, fileNames, slideIndex, next(), previous(), goTo(i) and timeline (a
 * SlideTimeline). A bad image rejects with a TypeError before any device is asked for.
 */
export async function openCapture(recordingType, { width = 1280, height = 720, frameRate = 30, slides } = {}) {
  const devices = navigator.mediaDevices;
  const video = { width: { ideal: width }, height: { ideal: height }, frameRate: { ideal: frameRate } };
  const audio = { echoCancellation: true, noiseSuppression: true };
  const opened = [];
  const cleanups = [];
  const release = () => {
    cleanups.forEach((cleanup) => cleanup());
    opened.forEach((stream) => stream.getTracks().forEach((track) => track.stop()));
  };
  const open = async (promise) => { const stream = await promise; opened.push(stream); return stream; };
  const capture = (tracks) => ({ recordingType, stream: new MediaStream(tracks), sources: opened.flatMap((s) => s.getTracks()), release });
  try {
    switch (recordingType) {
      case 'camera': {
        const camera = await open(devices.getUserMedia({ video, audio }));
        return capture(camera.getTracks());
      }
      case 'audio': {
        const mic = await open(devices.getUserMedia({ audio }));
        return capture(mic.getTracks());
      }
      case 'screen': {
        const screen = await open(devices.getDisplayMedia({ video: { frameRate }, audio: true }));
        const mic = await open(devices.getUserMedia({ audio }));
        return capture([...screen.getVideoTracks(), ...mixAudio([screen, mic], cleanups)]);
      }
      case 'screen-camera': {
        const screen = await open(devices.getDisplayMedia({ video: { frameRate }, audio: true }));
        const camera = await open(devices.getUserMedia({ video: cornerCamera, audio }));
        return capture([await composite(screen, camera, frameRate, cleanups), ...mixAudio([screen, camera], cleanups)]);
      }
      case 'slides':
      case 'slides-camera': {
        const deck = await loadSlides(slides, width, height);
        cleanups.push(() => deck.forEach((slide) => slide.image.close()));
        const withCamera = recordingType === 'slides-camera';
        const devicesStream = await open(devices.getUserMedia(withCamera ? { video: cornerCamera, audio } : { audio }));
        const cameraVideo = withCamera ? await playing(devicesStream) : null;
        return slideShow(capture, deck, { width, height, frameRate, cameraVideo, audio: devicesStream.getAudioTracks(), cleanups });
      }
      default:
        throw new TypeError(`Unknown recording type ${recordingType}.`);
    }
  } catch (error) {
    release();
    throw error;
  }
}

// One audio track from several streams (screen audio + microphone): MediaRecorder records one.
function mixAudio(streams, cleanups) {
  const withAudio = streams.filter((stream) => stream.getAudioTracks().length > 0);
  if (withAudio.length <= 1) return withAudio.flatMap((stream) => stream.getAudioTracks());
  const context = new AudioContext();
  const destination = context.createMediaStreamDestination();
  withAudio.forEach((stream) => context.createMediaStreamSource(stream).connect(destination));
  cleanups.push(() => context.close());
  return destination.stream.getAudioTracks();
}

// The camera drawn in a corner (screen-camera, slides-camera) need not be large.
const cornerCamera = { width: { ideal: 640 }, height: { ideal: 360 } };

// The screen with the camera in the lower right corner, drawn on a canvas at the frame rate.
async function composite(screen, camera, frameRate, cleanups) {
  // The canvas takes the screen's size, known once its first frame is in (track settings may lack it).
  const [screenVideo, cameraVideo] = await Promise.all([playing(screen), playing(camera)]);
  const canvas = document.createElement('canvas');
  canvas.width = screenVideo.videoWidth;
  canvas.height = screenVideo.videoHeight;
  return canvasTrack(canvas, frameRate, (context) => {
    context.drawImage(screenVideo, 0, 0, canvas.width, canvas.height);
    drawCorner(context, cameraVideo);
  }, cleanups).track;
}

// A video track of a canvas that draw(context) paints now, so the first recorded frame is a picture, and then at the
// frame rate; redraw() paints it at once. A timer, not requestAnimationFrame, which stops in a hidden tab while the
// recording goes on.
function canvasTrack(canvas, frameRate, draw, cleanups) {
  const context = canvas.getContext('2d');
  const redraw = () => draw(context);
  redraw();
  const timer = setInterval(redraw, 1000 / frameRate);
  const [track] = canvas.captureStream(frameRate).getVideoTracks();
  cleanups.push(() => { clearInterval(timer); track.stop(); });
  return { track, redraw };
}

// The camera in the lower right corner, a quarter of the canvas wide.
function drawCorner(context, cameraVideo) {
  const { width, height } = context.canvas;
  const w = Math.round(width / 4);
  const h = Math.round(w * (cameraVideo.videoHeight || 9) / (cameraVideo.videoWidth || 16));
  const margin = Math.round(width / 40);
  context.drawImage(cameraVideo, width - w - margin, height - h - margin, w, h);
}

// A muted, playing video element of the stream, once its size is known.
async function playing(stream) {
  const video = document.createElement('video');
  video.muted = true;
  video.srcObject = stream;
  await video.play();
  return video;
}

// ---------------------------------------------------------------------------------------------
// Slides

// Decodes the slides: each a File or Blob (PNG, JPEG, WebP) or { image, fileName } with any image source createImageBitmap
// takes. Each is kept at most the canvas's size: a deck of large photos would otherwise hold gigabytes of pixels.
async function loadSlides(slides, width, height) {
  if (!Array.isArray(slides) || slides.length === 0) throw new TypeError('A slides recording needs at least one slide image.');
  if (slides.length > SLIDE_LIMITS.slides) throw new TypeError(`A slides recording takes at most ${SLIDE_LIMITS.slides} slides.`);
  const deck = [];
  try {
    for (const [position, slide] of slides.entries()) {
      const source = slide instanceof Blob ? slide : slide?.image;
      const fileName = slideFileName(slide instanceof Blob ? slide.name : slide?.fileName, position);
      if (source instanceof Blob && !SLIDE_IMAGE_TYPES.includes(source.type)) {
        throw new TypeError(`${fileName} is not a PNG, JPEG or WebP image.`);
      }
      let image = await createImageBitmap(source).catch((error) => {
        throw new TypeError(`${fileName} could not be read as an image.`, { cause: error });
      });
      const scale = Math.min(1, width / image.width, height / image.height);
      if (scale < 1) {
        const full = image;
        image = await createImageBitmap(full, {
          resizeWidth: Math.max(1, Math.round(full.width * scale)),
          resizeHeight: Math.max(1, Math.round(full.height * scale)),
          resizeQuality: 'high',
        });
        full.close();
      }
      deck.push({ image, fileName });
    }
  } catch (error) {
    deck.forEach((slide) => slide.image.close());
    throw error;
  }
  return deck;
}

// A name the API stores (docs/api.md): not blank, at most 255 UTF-16 units, no NUL, no half of a surrogate pair.
function slideFileName(name, position) {
  const cleaned = typeof name === 'string' ? name.replaceAll('\0', '').toWellFormed() : '';
  const text = cleaned.trim() !== '' ? cleaned : `slide-${position + 1}`;
  const cut = text.slice(0, SLIDE_LIMITS.fileNameLength);
  return /[\ud800-\udbff]$/.test(cut) ? cut.slice(0, -1) : cut;
}

// The slides capture: the current slide drawn on a width × height canvas (the camera in a corner for slides-camera),
// next/previous/goTo, and the timeline of the changes.
function slideShow(capture, deck, { width, height, frameRate, cameraVideo, audio, cleanups }) {
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  let index = 0;
  const timeline = new SlideTimeline(deck.map((slide) => slide.fileName));
  const { track, redraw } = canvasTrack(canvas, frameRate, (context) => {
    drawSlide(context, deck[index].image);
    if (cameraVideo) drawCorner(context, cameraVideo);
  }, cleanups);
  const goTo = (to) => {
    if (!Number.isInteger(to) || to < 0 || to >= deck.length) {
      throw new RangeError(`There is no slide ${to}: they are 0 to ${deck.length - 1}.`);
    }
    if (to !== index) {
      index = to;
      // At once rather than on the next tick: the change is in the very next frame, where the timeline puts it.
      redraw();
      timeline.mark(index);
    }
    return index;
  };
  return {
    ...capture([track, ...audio]),
    canvas,
    timeline,
    fileNames: deck.map((slide) => slide.fileName),
    get slideIndex() { return index; },
    goTo,
    next: () => goTo(Math.min(index + 1, deck.length - 1)),
    previous: () => goTo(Math.max(index - 1, 0)),
  };
}

// The image as large as fits, centred on black.
function drawSlide(context, image) {
  const { width, height } = context.canvas;
  const scale = Math.min(width / image.width, height / image.height);
  const w = Math.round(image.width * scale);
  const h = Math.round(image.height * scale);
  context.fillStyle = '#000';
  context.fillRect(0, 0, width, height);
  context.drawImage(image, Math.round((width - w) / 2), Math.round((height - h) / 2), w, h);
}

/**
 * The slides shown during a recording, on the recording's clock: `entries` [{ index, fileName, start }], `start` in
 * seconds of recorded time (pauses left out), the first at 0. A slides capture keeps one (capture.timeline) and marks
 * every change; attach(recording) ties it to the Recording whose clock counts. toJSON() is { version: 1, entries }, what
 * the recording's metadata.slides holds. At most SLIDE_LIMITS.entries entries: changes past them are not recorded.
 */
export class SlideTimeline {
  #fileNames; #entries; #recording = null;

  constructor(fileNames, index = 0) {
    this.#fileNames = [...fileNames];
    this.#entries = [this.#entry(index, 0)];
  }

  /** Times the changes on this Recording's clock; the slide showing now opens the timeline, at 0. */
  attach(recording) {
    this.#recording = recording;
    this.#entries = [this.#entry(this.#entries.at(-1).index, 0)];
  }

  get entries() { return this.#entries.map((entry) => ({ ...entry })); }

  /** Slide `index` shows from now on. */
  mark(index) {
    const recording = this.#recording;
    // A stopped recording takes no more changes.
    if (recording?.state === 'inactive' && recording.elapsedSeconds > 0) return;
    const start = Math.round((recording?.elapsedSeconds ?? 0) * 1000) / 1000;
    const last = this.#entries.at(-1);
    if (index === last.index) return;
    if (start <= last.start) {
      // Nothing of the last slide was recorded (paused, or not started yet): this change replaces it.
      this.#entries.pop();
      if (this.#entries.at(-1)?.index === index) return;
    } else if (this.#entries.length >= SLIDE_LIMITS.entries) {
      return;
    }
    this.#entries.push(this.#entry(index, start));
  }

  toJSON() { return { version: 1, entries: this.entries }; }

  #entry(index, start) { return { index, fileName: this.#fileNames[index], start }; }
}

// ---------------------------------------------------------------------------------------------
// Recording

/**
 * MediaRecorder over a stream. Events: 'tick' (detail.seconds), 'slice' (detail.data, a Blob of the next
 * `timesliceMs` of the file, and detail.seconds, recorded so far: what LiveUpload stages), 'devicelost' (one of `watch`,
 * the device tracks, ended before stop: the recording stops and keeps what it has), 'error'. stop()
 * resolves to { blob, mimeType, durationSeconds }. It does not release the devices (capture.release()).
 */
export class Recording extends EventTarget {
  #recorder; #chunks = []; #startedAt = 0; #elapsedBefore = 0; #running = false; #ticker = 0; #limitTimer = 0; #stopped; #result = null;

  constructor(stream, { mimeType, maxSeconds = 0, timesliceMs = 1000, watch = stream.getTracks(), videoBitsPerSecond, audioBitsPerSecond } = {}) {
    super();
    this.stream = stream;
    this.maxSeconds = maxSeconds;
    this.#recorder = new MediaRecorder(stream, { mimeType, videoBitsPerSecond, audioBitsPerSecond });
    this.mimeType = this.#recorder.mimeType || mimeType;
    this.timesliceMs = timesliceMs;
    this.#recorder.addEventListener('dataavailable', (event) => {
      if (event.data.size === 0) return;
      this.#chunks.push(event.data);
      this.dispatchEvent(new CustomEvent('slice', { detail: { data: event.data, seconds: this.elapsedSeconds } }));
    });
    this.#recorder.addEventListener('error', (event) => this.dispatchEvent(new CustomEvent('error', { detail: event.error })));
    // MediaRecorder also stops by itself (every track ended): that ends the recording the same way.
    this.#stopped = new Promise((resolve) => this.#recorder.addEventListener('stop', () => { this.#fold(); resolve(); this.stop(); }, { once: true }));
    watch.forEach((track) => track.addEventListener('ended', () => {
      if (this.state !== 'inactive' && !this.#result) {
        this.dispatchEvent(new CustomEvent('devicelost', { detail: { kind: track.kind, label: track.label } }));
        this.stop();
      }
    }));
  }

  get state() { return this.#recorder.state; }

  /** Seconds recorded so far (pauses excluded). */
  get elapsedSeconds() {
    return (this.#elapsedBefore + (this.#running ? performance.now() - this.#startedAt : 0)) / 1000;
  }

  start() {
    this.#recorder.start(this.timesliceMs);
    this.#startedAt = performance.now();
    this.#running = true;
    this.#ticker = setInterval(() => this.dispatchEvent(new CustomEvent('tick', { detail: { seconds: this.elapsedSeconds } })), 250);
    if (this.maxSeconds > 0) this.#limitTimer = setTimeout(() => this.stop(), this.maxSeconds * 1000);
  }

  pause() {
    if (this.state !== 'recording') return;
    this.#recorder.pause();
    this.#fold();
  }

  resume() {
    if (this.state !== 'paused') return;
    this.#recorder.resume();
    this.#startedAt = performance.now();
    this.#running = true;
  }

  /** Stops and resolves to the recorded file; every call returns the same promise, 'stop' fires once. */
  stop() {
    this.#result ??= this.#finish();
    return this.#result;
  }

  async #finish() {
    this.#fold();
    if (this.state !== 'inactive') this.#recorder.stop();
    clearInterval(this.#ticker);
    clearTimeout(this.#limitTimer);
    await this.#stopped;
    const blob = new Blob(this.#chunks, { type: this.mimeType });
    const result = { blob, mimeType: this.mimeType, durationSeconds: Math.round(this.#elapsedBefore) / 1000 };
    this.dispatchEvent(new CustomEvent('stop', { detail: result }));
    return result;
  }

  // Adds the running stretch to the total when recording pauses or ends.
  #fold() {
    if (!this.#running) return;
    this.#elapsedBefore += performance.now() - this.#startedAt;
    this.#running = false;
  }
}

// ---------------------------------------------------------------------------------------------
// HTTP API

/**
 * A non-2xx answer of the API or of storage (status, and the problem+json body when there is one); `tries` is how many
 * times the call was sent (a 503 or 429 is sent again until the retries run out); `retryAfterMs` what its Retry-After
 * asked for (0 without one).
 */
export class ApiError extends Error {
  constructor(status, problem, { tries = 1, retryAfterMs = 0 } = {}) {
    super((problem?.detail || problem?.title || `HTTP ${status}`) + (tries > 1 ? ` (tried ${tries} times)` : ''));
    this.name = 'ApiError';
    this.status = status;
    this.problem = problem;
    this.tries = tries;
    this.retryAfterMs = retryAfterMs;
  }
}

/** An upload that stopped (network gone, retries spent); `state` resumes it with upload(…, { state }). */
export class UploadPausedError extends Error {
  constructor(message, state, cause) {
    super(message, { cause });
    this.name = 'UploadPausedError';
    this.state = state;
  }
}

const RETRYABLE = new Set([408, 429, 500, 502, 503, 504]);
// The API's answers that say the call did not take effect and may be sent again as it is: 503 (PostgreSQL or storage
// down) and 429 (a live upload's block list read again too soon).
const NOT_TAKEN = new Set([429, 503]);
// A network error leaves it unknown whether the API got the call: it goes again only where a second time does no more.
const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE']);
const TERMINAL = new Set(['completed', 'failed']);

// Exponential back-off with ±25 % jitter (so clients do not come back in step), never sooner than Retry-After.
const backoffMs = ({ baseDelayMs, maxDelayMs }, failures, atLeastMs = 0) =>
  Math.max(atLeastMs, Math.min(maxDelayMs, baseDelayMs * 2 ** (failures - 1)) * (0.75 + Math.random() / 2));

// Retry-After as seconds or an HTTP date; 0 when absent (cross-origin the API must expose it to be readable).
function retryAfterMs(response) {
  const value = response.headers.get('Retry-After')?.trim();
  if (!value) return 0;
  const ms = /^\d+$/.test(value) ? Number(value) * 1000 : Date.parse(value) - Date.now();
  return Number.isFinite(ms) ? Math.max(0, ms) : 0;
}

const sleep = (ms, signal) => new Promise((resolve, reject) => {
  const timer = setTimeout(resolve, ms);
  signal?.addEventListener('abort', () => { clearTimeout(timer); reject(signal.reason); }, { once: true });
});

const online = (signal) => (navigator.onLine ? Promise.resolve() : new Promise((resolve, reject) => {
  addEventListener('online', resolve, { once: true });
  signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
}));

/**
 * The Recorder Functions API. `baseUrl` is where /api lives ('' = same origin); `headers()` adds
 * headers to every call (e.g. a bearer token); `credentials` decides whether cookies go along
 * ('include' for a cross-origin API with the app's session cookie).
 */
export class RecorderClient {
  constructor({ baseUrl = '', headers = () => ({}), credentials = 'same-origin', retry = {} } = {}) {
    this.baseUrl = baseUrl.replace(/\/$/, '');
    this.headers = headers;
    this.credentials = credentials;
    this.retry = { attempts: 5, baseDelayMs: 500, maxDelayMs: 8000, timeoutMs: 120000, budgetMs: 30000, ...retry };
  }

  /**
   * Any API call: `path` is under /api; resolves to the JSON body (null when empty); rejects with ApiError.
   * A 503 or 429 (PostgreSQL or storage down, or too soon: the call did not take effect) is sent again whatever the method, a network
   * error only for GET, HEAD, PUT and DELETE: with back-off, at least Retry-After apart, at most `retry.attempts` tries
   * within `retry.budgetMs`. `retry` changes those for this call.
   */
  async request(method, path, body, { keepalive = false, signal, retry } = {}) {
    const settings = { ...this.retry, ...retry };
    const giveUpAt = Date.now() + settings.budgetMs;
    // Waits before the next try, or throws what giveUp() makes when the tries or the time are spent.
    const waitOr = async (tries, retryAfter, giveUp) => {
      const delay = backoffMs(settings, tries, retryAfter);
      if (tries >= settings.attempts || Date.now() + delay > giveUpAt) throw giveUp();
      await sleep(delay, signal);
    };
    for (let tries = 1; ; tries += 1) {
      let response;
      try {
        response = await fetch(`${this.baseUrl}/api/${path}`, {
          method,
          credentials: this.credentials,
          keepalive,
          signal,
          headers: { Accept: 'application/json', ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...this.headers() },
          body: body !== undefined ? JSON.stringify(body) : undefined,
        });
      } catch (error) {
        if (signal?.aborted || !IDEMPOTENT.has(method)) throw error;
        await waitOr(tries, 0, () => (tries > 1 ? new Error(`The API could not be reached (tried ${tries} times).`, { cause: error }) : error));
        continue;
      }
      const text = await response.text();
      if (response.ok) return text ? JSON.parse(text) : null;
      // A problem+json body when the API answered; a proxy's or host's page otherwise.
      let problem = null;
      try { problem = JSON.parse(text); } catch { /* not JSON */ }
      const retryAfter = retryAfterMs(response);
      if (!NOT_TAKEN.has(response.status)) throw new ApiError(response.status, problem, { retryAfterMs: retryAfter });
      await waitOr(tries, retryAfter, () => new ApiError(response.status, problem, { tries, retryAfterMs: retryAfter }));
    }
  }

  // Recordings
  createUpload(request, options) { return this.request('POST', 'recordings/uploads', request, options); }
  renewUploadUrl(id) { return this.request('POST', `recordings/${id}/upload-url`, {}); }
  /** The blocks storage holds of an upload still `uploading` (a live upload's contact too). */
  getUpload(id, options) { return this.request('GET', `recordings/${id}/upload`, undefined, options); }
  getRecording(id) { return this.request('GET', `recordings/${id}`); }
  listRecordings({ limit, cursor, type, status, q, projectId } = {}) {
    const query = new URLSearchParams(Object.entries({ limit, cursor, type, status, q, projectId }).filter(([, v]) => v != null && v !== ''));
    return this.request('GET', `recordings${query.size ? `?${query}` : ''}`);
  }
  updateRecording(id, patch) { return this.request('PATCH', `recordings/${id}`, patch); }
  deleteRecording(id) { return this.request('DELETE', `recordings/${id}`); }
  getStorage() { return this.request('GET', 'me/storage'); }

  // Recording sessions (docs/api/sessions.md)
  startSession({ recordingType, settings, deviceInfo }, options) { return this.request('POST', 'recording-sessions', { recordingType, settings, deviceInfo }, options); }
  /** `staged`: { stagedBytes, stagedSeconds } of the session's live upload. */
  heartbeat(sessionId, staged) { return this.request('POST', `recording-sessions/${sessionId}/heartbeat`, staged); }
  completeSession(sessionId, { duration, recordingId } = {}) { return this.request('POST', `recording-sessions/${sessionId}/complete`, { duration, recordingId }); }
  /** `keepalive` lets the call outlive the page (pagehide); sendBeacon cannot send the JSON the API requires. */
  interruptSession(sessionId, { errorMessage, errorCode }, { keepalive = false } = {}) {
    return this.request('POST', `recording-sessions/${sessionId}/interrupt`, { errorMessage, errorCode }, { keepalive });
  }

  // Edits (docs/api/edits.md). `version` is the edit version the change is based on (the last
  // state's `version`); a stale one is refused with 409 (problem.code 'stale_version').
  listEdits(id, { limit, cursor } = {}) {
    const query = new URLSearchParams(Object.entries({ limit, cursor }).filter(([, v]) => v != null));
    return this.request('GET', `recordings/${id}/edits${query.size ? `?${query}` : ''}`);
  }
  applyEdit(id, { editType, parameters }, { version }) { return this.request('POST', `recordings/${id}/edits`, { editType, parameters, baseVersion: version }); }
  undoEdit(id, { version }) { return this.request('POST', `recordings/${id}/edits/undo`, { baseVersion: version }); }
  redoEdit(id, { version }) { return this.request('POST', `recordings/${id}/edits/redo`, { baseVersion: version }); }

  /**
   * Polls a recording until ingest has finished with it ('completed' or 'failed'); onStatus(recording)
   * on every answer. Rejects after timeoutMs.
   */
  async waitUntilProcessed(id, { onStatus, intervalMs = 1000, timeoutMs = 300000, signal } = {}) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const recording = await this.getRecording(id);
      onStatus?.(recording);
      if (TERMINAL.has(recording.status)) return recording;
      if (Date.now() > deadline) throw new Error(`Recording ${id} is still ${recording.status}.`);
      await sleep(intervalMs, signal);
    }
  }

  /**
   * Uploads a recording's file. Asks for an upload URL (unless `state` resumes an earlier upload), then
   * sends it in one PUT when it is at most maxSingleUploadSize, else as Put Block / Put Block List.
   * Each request is retried with exponential backoff; while the browser is offline it waits for the
   * network instead of spending tries; an expired URL (a 403 from storage, or expiresAt passed)
   * is renewed and the upload goes on. When retries run out it throws UploadPausedError with the state
   * (staged block ids included) to resume from later. onProgress({ loaded, total }); onState(state)
   * after every change worth remembering (persist it to resume after a reload); onWaiting(true|false)
   * around a wait for the network. Resolves to recordingId.
   */
  async upload(blob, request, { state, onProgress, onState, onWaiting, signal } = {}) {
    let current = state ? { ...state, staged: [...state.staged] } : null;
    if (!current) {
      const ticket = await this.createUpload({ ...request, fileSize: blob.size });
      current = {
        recordingId: ticket.recordingId,
        ticket,
        mode: blob.size <= ticket.maxSingleUploadSize ? 'single' : 'blocks',
        blockSize: ticket.blockSize,
        staged: [],
        committed: false,
      };
      onState?.(current);
    }
    const upload = new BlobUpload(this, blob, current, { onProgress, onState, onWaiting, signal });
    await upload.run();
    return current.recordingId;
  }
}

// One upload's requests to storage. `state` is the caller's (it is resumable from any point).
class BlobUpload {
  constructor(client, blob, state, { onProgress, onState, onWaiting, signal }) {
    Object.assign(this, { client, blob, state, onProgress, onState, onWaiting, signal });
    this.retry = client.retry;
  }

  async run() {
    const { state, blob } = this;
    if (state.committed) return;
    if (state.mode === 'single') {
      await this.send('', blob, (ticket) => ticket.headers, (loaded) => this.progress(loaded), { commits: true });
    } else {
      const count = Math.ceil(blob.size / state.blockSize);
      const loadedBefore = () => state.staged.reduce((sum, index) => sum + this.blockLength(index), 0);
      for (let index = 0; index < count; index += 1) {
        if (state.staged.includes(index)) continue;
        const base = loadedBefore();
        const chunk = blob.slice(index * state.blockSize, index * state.blockSize + this.blockLength(index));
        await this.send(`&comp=block&blockid=${encodeURIComponent(blockId(index))}`, chunk, () => ({}), (loaded) => this.progress(base + loaded));
        state.staged.push(index);
        this.onState?.(state);
        this.progress(loadedBefore());
      }
      await this.send('&comp=blocklist', blockList(count), commitHeaders, () => {}, { commits: true });
    }
    state.committed = true;
    this.onState?.(state);
    this.progress(blob.size);
  }

  blockLength(index) { return Math.min(this.state.blockSize, this.blob.size - index * this.state.blockSize); }

  progress(loaded) { this.onProgress?.({ loaded: Math.min(loaded, this.blob.size), total: this.blob.size }); }

  // `commits`: this request commits the blob, so a renewal refused with 409 (the blob is committed) means an earlier try
  // went through, here or before a reload, and its answer was lost: it is done.
  send(query, body, headersFor, onBytes, { commits = false } = {}) {
    return sendToStorage({
      ticket: () => this.state.ticket,
      renew: async () => {
        try {
          this.state.ticket = await this.client.renewUploadUrl(this.state.recordingId);
          this.onState?.(this.state);
          return true;
        } catch (error) {
          if (commits && error instanceof ApiError && error.status === 409) return false;
          throw error;
        }
      },
      retry: this.retry,
      signal: this.signal,
      onWaiting: this.onWaiting,
      giveUp: (cause) => new UploadPausedError('The upload stopped after repeated network errors; it resumes from where it was.',
        this.state, cause),
    }, query, body, headersFor, onBytes);
  }
}

/**
 * One PUT to storage with the upload URL `ticket()`, retried: backoff for transient failures, a wait while offline (no
 * try spent), a new URL when it expired (`expiresAt` less than 5 s away, or a 403). `renew()` resolves to false when the
 * request need not go any more (the blob is committed). After `retry.attempts` failed tries it throws `giveUp(cause)`;
 * without `giveUp` it tries for as long as it takes (a live upload, whose slices wait safely in IndexedDB). Resolves to
 * true once storage took the request, false when renew() said it need not go.
 */
async function sendToStorage({ ticket, renew, retry, signal, onWaiting, giveUp }, query, body, headersFor, onBytes) {
  let failures = 0;
  let renewedAfterRefusal = false;
  for (;;) {
    signal?.throwIfAborted();
    if (Date.parse(ticket().expiresAt) - Date.now() < 5000 && !await renew()) return false;
    let outcome;
    try {
      outcome = await put(ticket().uploadUrl + query, body, headersFor(ticket()), onBytes, retry.timeoutMs, signal);
    } catch (error) {
      if (signal?.aborted) throw error;
      outcome = { networkError: error };
    }
    if (outcome.status >= 200 && outcome.status < 300) return true;
    // An expired SAS is refused with 403: AuthenticationFailed in Azure, AuthorizationFailure in
    // Azurite. A fresh URL is tried once; refused again, it is not the URL's age.
    if (outcome.status === 403 && !renewedAfterRefusal) {
      renewedAfterRefusal = true;
      if (!await renew()) return false;
      continue;
    }
    if (outcome.networkError && !navigator.onLine) {
      // Offline is not a failure of this request: wait for the network, keep the tries.
      onWaiting?.(true);
      await online(signal);
      onWaiting?.(false);
      continue;
    }
    if (!outcome.networkError && !RETRYABLE.has(outcome.status)) {
      const code = outcome.errorCode ? ` ${outcome.errorCode}` : '';
      throw new ApiError(outcome.status, { detail: `Storage refused the upload (HTTP ${outcome.status}${code}).` });
    }
    failures += 1;
    if (giveUp && failures >= retry.attempts) throw giveUp(outcome.networkError);
    // A live upload keeps trying, never more than maxDelayMs apart.
    await sleep(backoffMs(retry, Math.min(failures, 16)), signal);
  }
}

// Block ids must have one length within a blob; base64 of a zero-padded index (the live upload contract's form too).
const blockId = (index) => btoa(`block-${String(index).padStart(6, '0')}`);

// Put Block List of blocks 0 … count - 1, in order; the blob takes the recording's media type.
const blockList = (count) => new Blob([`<?xml version="1.0" encoding="utf-8"?><BlockList>${
  Array.from({ length: count }, (_, index) => `<Latest>${blockId(index)}</Latest>`).join('')}</BlockList>`], { type: 'application/xml' });
const commitHeaders = (ticket) => ({ 'x-ms-blob-content-type': ticket.headers['Content-Type'] });

// XMLHttpRequest rather than fetch: it reports upload progress.
function put(url, body, headers, onBytes, timeoutMs, signal) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', url);
    Object.entries(headers).forEach(([name, value]) => xhr.setRequestHeader(name, value));
    xhr.timeout = timeoutMs;
    xhr.upload.onprogress = (event) => onBytes(event.loaded);
    // getAllResponseHeaders lists only the headers CORS exposes (getResponseHeader would log the others).
    const errorCode = () => /^x-ms-error-code:\s*(.+)$/im.exec(xhr.getAllResponseHeaders())?.[1]?.trim() ?? /<Code>([^<]+)<\/Code>/.exec(xhr.responseText)?.[1];
    xhr.onload = () => resolve({ status: xhr.status, errorCode: xhr.status >= 400 ? errorCode() : undefined });
    xhr.onerror = () => reject(new TypeError('Network error'));
    xhr.ontimeout = () => reject(new TypeError('Timed out'));
    signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.onabort = () => reject(signal?.reason ?? new DOMException('Aborted', 'AbortError'));
    xhr.send(body);
  });
}

// ---------------------------------------------------------------------------------------------
// Live uploads

// An IndexedDB database at version 1: `create(db)` makes its stores the first time it is opened.
function openDatabase(name, create) {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(name, 1);
    request.onupgradeneeded = () => create(request.result);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

// One transaction over `stores` (each passed to `action`); resolves once it has committed, to the result of the request
// `action` returns.
async function inTransaction(database, stores, mode, action) {
  const db = await database;
  return new Promise((resolve, reject) => {
    const transaction = db.transaction(stores, mode);
    const request = action(...stores.map((store) => transaction.objectStore(store)));
    transaction.oncomplete = () => resolve(request?.result);
    transaction.onerror = () => reject(transaction.error);
    transaction.onabort = () => reject(transaction.error);
  });
}

/**
 * IndexedDB of unfinished live uploads: database `recorder-client-live`, store `uploads` (one record per live recording
 * not committed yet, key `recordingId`) and store `slices` (key [recordingId, index]: each MediaRecorder slice with its
 * block and the seconds recorded at its end), a slice from the moment it is recorded until storage has confirmed its block.
 */
export class LiveStore {
  constructor(name = 'recorder-client-live') { this.name = name; this.db = null; }

  // One transaction over both stores; resolves once it has committed, to the result of the request `action` returns.
  #run(mode, action) {
    this.db ??= openDatabase(this.name, (db) => {
      db.createObjectStore('uploads', { keyPath: 'recordingId' });
      db.createObjectStore('slices', { keyPath: ['recordingId', 'index'] });
    });
    return inTransaction(this.db, ['uploads', 'slices'], mode, action);
  }

  /** Every unfinished live upload's record, oldest first. */
  async uploads() {
    return (await this.#run('readonly', (uploads) => uploads.getAll())).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  upload(recordingId) { return this.#run('readonly', (uploads) => uploads.get(recordingId)); }

  putUpload(record) { return this.#run('readwrite', (uploads) => { uploads.put(record); }); }

  /** A slice with its upload's record, in one transaction: no slice is kept that the record does not count. */
  addSlice(record, slice) { return this.#run('readwrite', (uploads, slices) => { slices.put(slice); uploads.put(record); }); }

  /** The upload's slices not confirmed by storage yet, in recording order. */
  slices(recordingId) { return this.#run('readonly', (uploads, slices) => slices.getAll(sliceRange(recordingId))); }

  /** Storage holds the block of these slices: they go as the record says so, in one transaction. */
  confirm(record, indexes) {
    return this.#run('readwrite', (uploads, slices) => {
      indexes.forEach((index) => slices.delete([record.recordingId, index]));
      uploads.put(record);
    });
  }

  /** The upload is over: its record and slices go. */
  delete(recordingId) {
    return this.#run('readwrite', (uploads, slices) => { uploads.delete(recordingId); slices.delete(sliceRange(recordingId)); });
  }
}

const sliceRange = (recordingId) => IDBKeyRange.bound([recordingId, 0], [recordingId, Infinity]);

// A Web Lock per recording, held while this page records or finishes it, so that no other tab resumes it meanwhile;
// resolves to its release, or to null when another tab holds it. Without Web Locks (an insecure context) it holds nothing.
function holdLock(recordingId) {
  if (!globalThis.navigator?.locks) return Promise.resolve(() => {});
  return new Promise((resolve) => {
    navigator.locks.request(`recorder-live-upload-${recordingId}`, { ifAvailable: true },
      (lock) => lock && new Promise((release) => resolve(release))).then(() => resolve(null));
  });
}

/**
 * A live upload (docs/ingest.md, "Live uploads"; docs/recorder-page.md): a Recording's slices staged on the recording's
 * blob while it records, in blocks of at least `blockSeconds` of recording, each slice kept in IndexedDB (LiveStore)
 * until storage has confirmed its block; finish() stages the rest and commits. LiveUpload.create() starts one,
 * LiveUpload.resumable() finds the unfinished ones of earlier pages. Events: 'progress' (detail: recordedBytes,
 * recordedSeconds, stagedBytes, stagedSeconds, atRiskBytes, atRiskSeconds), 'waiting' (detail true while offline, then
 * false), 'halt' (detail { outcome, problem }: the upload takes no more, stop the recording: 'refused' past a limit,
 * 'recovered' by the server, 'gone'), 'error' (detail: what stopped the sending, the slices staying for a resume; or a
 * slide timeline the API refused).
 */
export class LiveUpload extends EventTarget {
  #client; #store; #record; #release; #resumed; #slides = null; #pending = []; #writes = Promise.resolve(); #pumping = null;
  #again = false;
  #timer = 0; #lastContact = Date.now(); #contacting = false; #outcome = null; #problem = null; #finishing = null;

  /** Use LiveUpload.create or LiveUpload.resumable. */
  constructor(client, store, record, release, { resumed = false } = {}) {
    super();
    Object.assign(this, { recordingId: record.recordingId });
    this.#client = client;
    this.#store = store;
    this.#record = record;
    this.#release = release;
    this.#resumed = resumed;
    this.#timer = setInterval(() => this.#keepInContact(), Math.max(500, this.contactMs / 4));
  }

  /**
   * Creates the live upload (`request` as for createUpload, without fileSize; one try: the recording waits for it) and
   * its IndexedDB record. `session` (a SessionKeeper linked by request.sessionId) carries the contact while it is open;
   * `slides()` returns the slide timeline to keep with the recording (sent at finish, or by the page that resumes it).
   */
  static async create(client, request, { store = new LiveStore(), session = null, slides = null, blockSeconds = 2 } = {}) {
    const ticket = await client.createUpload({ ...request, live: true }, { retry: { attempts: 1 } });
    // Held before the record exists: no other tab can take it for an unfinished upload to resume.
    const release = await holdLock(ticket.recordingId);
    const record = {
      recordingId: ticket.recordingId, title: request.title, recordingType: request.recordingType, mimeType: request.mimeType,
      createdAt: new Date().toISOString(), ticket, silenceTimeoutSeconds: ticket.live.silenceTimeoutSeconds, blockSeconds,
      slices: 0, block: 0, blockStart: 0, openBytes: 0, recordedBytes: 0, recordedSeconds: 0, stagedBytes: 0, stagedSeconds: 0,
      stopped: false, cutOff: false, durationSeconds: null, slides: null,
    };
    await store.putUpload(record);
    const live = new LiveUpload(client, store, record, release);
    live.#slides = slides;
    session?.reportLive(live);
    return live;
  }

  /**
   * The unfinished live uploads in `store` that no other tab holds (left by a reload, a closed tab, a restarted browser),
   * each now held by this page: finish() each to send what storage lacks and commit.
   */
  static async resumable(client, { store = new LiveStore() } = {}) {
    const found = [];
    for (const { recordingId } of await store.uploads()) {
      const release = await holdLock(recordingId);
      if (!release) continue;
      // Read again under the lock: the tab that held it may have gone on until a moment ago.
      const record = await store.upload(recordingId);
      if (record) found.push(new LiveUpload(client, store, record, release, { resumed: true })); else release();
    }
    return found;
  }

  /** How often the server must hear from this upload: a quarter of its silence timeout, at most 30 s. */
  get contactMs() { return Math.min(30000, Math.max(1000, this.#record.silenceTimeoutSeconds * 250)); }

  get title() { return this.#record.title; }

  get progress() {
    const { recordedBytes, recordedSeconds, stagedBytes, stagedSeconds } = this.#record;
    return {
      recordingId: this.recordingId, recordedBytes, recordedSeconds, stagedBytes, stagedSeconds,
      atRiskBytes: Math.max(0, recordedBytes - stagedBytes), atRiskSeconds: Math.max(0, recordedSeconds - stagedSeconds),
    };
  }

  /** The recording whose slices this upload stages, from its start on. */
  attach(recording) {
    recording.addEventListener('slice', (event) => this.#addSlice(event.detail.data, event.detail.seconds));
  }

  /** What a heartbeat reports (SessionKeeper). */
  stagedReport() {
    return { stagedBytes: this.#record.stagedBytes, stagedSeconds: Math.round(this.#record.stagedSeconds * 1000) / 1000 };
  }

  /** The server heard from this upload (a heartbeat, a renewal, a read of its blocks). */
  contacted() { this.#lastContact = Date.now(); }

  /** A heartbeat's failure: a 413 refuses the upload; anything else leaves the contact to the upload's own reads. */
  contactRefused(error) {
    if (error instanceof ApiError && error.status === 413) this.#halt('refused', error.problem);
  }

  /**
   * Stop (or, resumed, finish what an earlier page left): the rest staged, the slide timeline sent (PATCH), the block
   * list committed, the IndexedDB record and slices removed. A resumed upload first asks the server what storage holds and
   * sends only what it lacks; one whose page went away while recording (not stopped) is staged whole and left to the
   * server's recovery, which commits it once the silence timeout has passed. Resolves to { recordingId, outcome, problem }:
   * 'committed'; 'refused' (past a limit: the server's recovery commits the `problem.recoverableBlocks` first blocks, which
   * fit); 'recovered' (the server commits what it holds); 'gone' (the recording left uploading). Rejects when sending
   * stopped on an error; the slices stay in IndexedDB for a later resume.
   */
  finish({ durationSeconds, slides } = {}) {
    this.#finishing ??= this.#finish({ durationSeconds, slides });
    return this.#finishing;
  }

  async #finish({ durationSeconds, slides }) {
    try {
      return await this.#finishUpload({ durationSeconds, slides });
    } finally {
      // Done or stopped by an error: either way another LiveUpload (LiveUpload.resumable) may take it up now.
      clearInterval(this.#timer);
      this.#release();
    }
  }

  async #finishUpload({ durationSeconds, slides }) {
    await this.#writes;
    if (this.#resumed) {
      this.#pending = await this.#store.slices(this.recordingId);
      await this.#reconcile({ learn: true });
    }
    if (!this.#outcome) {
      await this.#save((record) => {
        // Its page went away while recording: the last slice ends wherever MediaRecorder was (inside a frame, for WebM),
        // an end ingest takes only from the server's recovery. So it is staged whole and the server commits it once silent.
        record.cutOff ||= this.#resumed && !record.stopped;
        record.stopped = true;
        // The open block, if it holds anything, is the last: a block may hold less than blockSeconds only there.
        if (record.openBytes > 0) Object.assign(record, { block: record.block + 1, openBytes: 0 });
        if (durationSeconds != null) record.durationSeconds = durationSeconds;
        if (slides) record.slides = slides;
      }, (record) => this.#store.putUpload(record));
      await this.#pump();
    }
    const { cutOff } = this.#record;
    if (!this.#outcome || this.#outcome === 'refused') {
      // The slide timeline first, so that the recording has it when ingest completes it; one the API refuses does not
      // hold the recording back.
      const { slides: timeline } = this.#record;
      if (timeline) {
        await this.#api(() => this.#client.updateRecording(this.recordingId, { slides: timeline })).catch((error) => {
          if (!(error instanceof ApiError)) throw error;
          this.#emit('error', error);
        });
      }
      // Refused, the blocks that fit end wherever the 2 s fell, as a cut-off recording does: the server commits them.
      // Nothing recorded at all is left to the server too, which fails it (upload_abandoned).
      if (!this.#outcome && !cutOff && this.#record.block > 0) {
        await this.#send('&comp=blocklist', blockList(this.#record.block), commitHeaders, { commits: true });
      }
    }
    const outcome = this.#outcome ?? (cutOff || this.#record.block === 0 ? 'recovered' : 'committed');
    await this.#store.delete(this.recordingId);
    return { recordingId: this.recordingId, outcome, problem: this.#problem };
  }

  #addSlice(data, seconds) {
    this.#writes = this.#writes.then(async () => {
      // Past a limit, or taken over by the server: nothing more is kept.
      if (this.#outcome) return;
      let slice;
      try {
        await this.#save((record) => {
          slice = { recordingId: record.recordingId, index: record.slices, block: record.block, data, seconds };
          this.#pending.push(slice);
          Object.assign(record, {
            slices: record.slices + 1, recordedBytes: record.recordedBytes + data.size, recordedSeconds: seconds,
            openBytes: record.openBytes + data.size, slides: this.#slides?.() ?? record.slides,
          });
          if (seconds - record.blockStart >= record.blockSeconds) {
            Object.assign(record, { block: record.block + 1, blockStart: seconds, openBytes: 0 });
          }
        }, (record) => this.#store.addSlice(record, slice));
      } catch (error) {
        // IndexedDB refused it (full, or broken): it still goes to storage from memory, only a crash would lose it now.
        this.#emit('error', error);
      }
      this.#emit('progress', this.progress);
      this.#pump().catch(() => {});
    });
  }

  // The record changes here at once (it is the truth for this page) and is written as it is now; transactions run in the
  // order they were made, so IndexedDB keeps the changes in order too.
  #save(change, write) {
    change(this.#record);
    return write({ ...this.#record });
  }

  // Sends the sealed blocks still in IndexedDB, in order, one at a time, until none is left or the upload is over.
  #pump() {
    this.#again = true;
    this.#pumping ??= (async () => {
      try {
        while (this.#again && !this.#outcome) {
          this.#again = false;
          await this.#drain();
        }
      } catch (error) {
        this.#emit('error', error);
        throw error;
      } finally {
        this.#pumping = null;
      }
    })();
    return this.#pumping;
  }

  // The slices come from memory (#pending, what IndexedDB holds too): a slice IndexedDB failed to keep still goes.
  async #drain() {
    for (;;) {
      const block = this.#pending[0]?.block;
      // None left, or only the open block's slices: it goes once sealed.
      if (block === undefined || block >= this.#record.block || this.#outcome) return;
      const parts = this.#pending.filter((slice) => slice.block === block);
      const body = new Blob(parts.map((slice) => slice.data), { type: this.#record.mimeType });
      if (!await this.#send(`&comp=block&blockid=${encodeURIComponent(blockId(block))}`, body, () => ({})) || this.#outcome) return;
      await this.#save((record) => {
        record.stagedBytes += body.size;
        record.stagedSeconds = Math.max(record.stagedSeconds, parts.at(-1).seconds);
        this.#pending = this.#pending.filter((slice) => slice.block !== block);
        // Slices IndexedDB failed to let go are dropped by a resume, which finds their block in storage.
      }, (record) => this.#store.confirm(record, parts.map((slice) => slice.index)).catch((error) => this.#emit('error', error)));
      this.#emit('progress', this.progress);
    }
  }

  // One request to storage, tried until it goes through (the slices wait safely meanwhile); false when it need not go
  // any more because the upload is over (or, committing, was committed before).
  #send(query, body, headersFor, { commits = false } = {}) {
    return sendToStorage({
      ticket: () => this.#record.ticket,
      renew: () => this.#renew({ commits }),
      retry: this.#client.retry,
      onWaiting: (waiting) => this.#emit('waiting', waiting),
    }, query, body, headersFor, () => {});
  }

  // A fresh upload URL (contact, and a check of the limits): false when the upload is over instead (refused: 413; the
  // recording left uploading or is being recovered: 409).
  async #renew({ commits }) {
    try {
      const ticket = await this.#api(() => this.#client.renewUploadUrl(this.recordingId));
      this.contacted();
      await this.#save((record) => { record.ticket = ticket; }, (record) => this.#store.putUpload(record));
      return true;
    } catch (error) {
      if (!(error instanceof ApiError) || ![409, 413].includes(error.status)) throw error;
      if (error.status === 413) this.#halt('refused', error.problem);
      else await this.#reconcile({ commits });
      return false;
    }
  }

  // What the server says of the upload. Over: the outcome is set. Otherwise, with `learn` (resuming), the slices whose
  // blocks storage holds already are let go and the record counts what storage holds.
  async #reconcile({ commits = false, learn = false } = {}) {
    let state;
    try {
      state = await this.#api(() => this.#client.getUpload(this.recordingId));
    } catch (error) {
      if (!(error instanceof ApiError) || ![404, 409].includes(error.status)) throw error;
      // Committing, a recording that left uploading took an earlier try's commit whose answer was lost.
      this.#halt(commits && error.status === 409 ? 'committed' : 'gone', error.problem);
      return;
    }
    this.contacted();
    if (state.committed || state.recovered) {
      this.#halt(state.committed ? 'committed' : 'recovered', null);
      return;
    }
    if (!learn) return;
    const held = new Map(state.blocks.filter((block) => !block.committed && block.sequence != null)
      .map((block) => [block.sequence, block.size]));
    const slices = this.#pending;
    const confirmed = [];
    for (const block of new Set(slices.map((slice) => slice.block))) {
      const parts = slices.filter((slice) => slice.block === block);
      if (held.get(block) === parts.reduce((sum, slice) => sum + slice.data.size, 0)) confirmed.push(...parts);
    }
    const waiting = slices.filter((slice) => !confirmed.includes(slice)).reduce((sum, slice) => sum + slice.data.size, 0);
    await this.#save((record) => {
      record.stagedBytes = state.stagedBytes;
      record.recordedBytes = state.stagedBytes + waiting;
      record.stagedSeconds = Math.max(record.stagedSeconds, ...confirmed.map((slice) => slice.seconds));
      this.#pending = slices.filter((slice) => !confirmed.includes(slice));
    }, (record) => this.#store.confirm(record, confirmed.map((slice) => slice.index)));
    this.#emit('progress', this.progress);
  }

  // An API call the upload cannot do without: tried again until answered (while offline, once the network is back).
  async #api(call) {
    for (let failures = 1; ; failures += 1) {
      try {
        return await call();
      } catch (error) {
        if (error instanceof ApiError && !RETRYABLE.has(error.status)) throw error;
        if (navigator.onLine) {
          await sleep(backoffMs(this.#client.retry, Math.min(failures, 16), error.retryAfterMs ?? 0));
        } else {
          this.#emit('waiting', true);
          await online();
          this.#emit('waiting', false);
        }
      }
    }
  }

  // When no heartbeat or renewal came for a while, a read of the blocks keeps the server from recovering the upload; a
  // session's heartbeats come every contactMs, so this waits half as long again before it steps in.
  async #keepInContact() {
    if (this.#contacting || this.#outcome || Date.now() - this.#lastContact < this.contactMs * 1.5) return;
    this.#contacting = true;
    try {
      const state = await this.#client.getUpload(this.recordingId, { retry: { attempts: 1 } });
      this.contacted();
      if (state.recovered || state.committed) this.#halt('recovered', null);
    } catch (error) {
      if (error instanceof ApiError && [404, 409].includes(error.status)) this.#halt('gone', error.problem);
    } finally {
      this.#contacting = false;
    }
  }

  #halt(outcome, problem) {
    if (this.#outcome) return;
    this.#outcome = outcome;
    this.#problem = problem;
    this.#emit('halt', { outcome, problem });
  }

  #emit(type, detail) { this.dispatchEvent(new CustomEvent(type, { detail })); }
}

// ---------------------------------------------------------------------------------------------
// Recording sessions

/**
 * A recording session from start to end: start() opens it, heartbeats keep it alive while recording,
 * complete()/interrupt() end it once. If the page goes away first (tab closed, navigation) it is
 * interrupted with a keepalive request. Errors reaching the API are reported to onError and never stop
 * a recording.
 */
export class SessionKeeper {
  #timer = 0; #onPageHide; #live = null;

  constructor(client, { heartbeatMs = 30000, onError = () => {} } = {}) {
    Object.assign(this, { client, heartbeatMs, onError });
    this.id = null;
    this.ended = false;
  }

  async start({ recordingType, settings, deviceInfo }) {
    try {
      // One try: the recording waits for this answer, and goes on without a session anyway.
      const session = await this.client.startSession({ recordingType, settings, deviceInfo }, { retry: { attempts: 1 } });
      this.id = session.id;
    } catch (error) {
      this.onError(error);
      return null;
    }
    this.#timer = setInterval(() => this.#beat(), this.heartbeatMs);
    this.#onPageHide = () => this.interrupt({ errorCode: 'tab_closed', errorMessage: 'The page was closed while recording.' }, { keepalive: true });
    addEventListener('pagehide', this.#onPageHide);
    return this.id;
  }

  /**
   * The session's live upload (LiveUpload): heartbeats carry what it has staged, come as often as its contact needs, and
   * their answers are its contact (a 413 its refusal). False when there is no open session to carry them.
   */
  reportLive(live) {
    if (this.id == null || this.ended) return false;
    this.#live = live;
    clearInterval(this.#timer);
    this.#timer = setInterval(() => this.#beat(), Math.min(this.heartbeatMs, live.contactMs));
    return true;
  }

  #beat() {
    const live = this.#live;
    this.client.heartbeat(this.id, live?.stagedReport()).then(() => live?.contacted(), (error) => {
      live?.contactRefused(error);
      this.onError(error);
    });
  }

  async complete({ duration, recordingId } = {}) {
    if (!this.#end()) return;
    await this.client.completeSession(this.id, { duration, recordingId }).catch(this.onError);
  }

  async interrupt({ errorCode, errorMessage }, { keepalive = false } = {}) {
    if (!this.#end()) return;
    await this.client.interruptSession(this.id, { errorCode, errorMessage }, { keepalive }).catch(this.onError);
  }

  #end() {
    if (this.ended || this.id == null) return false;
    this.ended = true;
    clearInterval(this.#timer);
    removeEventListener('pagehide', this.#onPageHide);
    return true;
  }
}

/** An errorCode/errorMessage pair for a getUserMedia/getDisplayMedia failure. */
export function captureFailure(error) {
  const code = { NotAllowedError: 'permission_denied', NotFoundError: 'device_not_found', NotReadableError: 'device_busy', OverconstrainedError: 'device_unsuitable', AbortError: 'capture_aborted' }[error?.name];
  return { errorCode: code ?? 'capture_failed', errorMessage: String(error?.message || error).slice(0, 1000) };
}

// ---------------------------------------------------------------------------------------------
// Recordings kept in the browser

/**
 * IndexedDB store of recordings not uploaded yet (offline, failed, interrupted uploads). An entry:
 * { localId, title, recordingType, mimeType, createdAt, durationSeconds, blob, sizeBytes,
 *   sessionId?, slides? (the slide timeline, SlideTimeline.toJSON()), upload? (the upload state to resume), lastError? }.
 */
export class LocalRecordings {
  constructor(name = 'recorder-client') { this.name = name; this.db = null; }

  #run(mode, action) {
    this.db ??= openDatabase(this.name, (db) => db.createObjectStore('recordings', { keyPath: 'localId' }));
    return inTransaction(this.db, ['recordings'], mode, action);
  }

  /** Adds or replaces an entry; a new entry gets a localId and createdAt. */
  async put(entry) {
    const stored = { localId: crypto.randomUUID(), createdAt: new Date().toISOString(), sizeBytes: entry.blob?.size, ...entry };
    await this.#run('readwrite', (store) => store.put(stored));
    return stored;
  }

  /** Changes some fields of an entry. */
  async update(localId, changes) {
    const entry = await this.get(localId);
    return entry ? this.put({ ...entry, ...changes }) : null;
  }

  get(localId) { return this.#run('readonly', (store) => store.get(localId)); }
  async list() { return (await this.#run('readonly', (store) => store.getAll())).sort((a, b) => a.createdAt.localeCompare(b.createdAt)); }
  delete(localId) { return this.#run('readwrite', (store) => store.delete(localId)); }
}

const EXTENSIONS = { 'video/webm': 'webm', 'video/mp4': 'mp4', 'video/x-matroska': 'mkv', 'audio/webm': 'webm', 'audio/ogg': 'ogg', 'audio/mp4': 'm4a', 'audio/mpeg': 'mp3', 'audio/wav': 'wav', 'audio/aac': 'aac' };

/**
 * A ZIP (stored, no compression: recordings are compressed already) of `manifest.json` and
 * `files/<localId>.<ext>`, the format `recorder import-client-recordings` reads (docs/recorder-page.md).
 * Resolves to { blob, manifest }. Without ZIP64, so the whole export stays under 4 GiB.
 */
export async function exportLocalRecordings(entries, { exportedAt = new Date().toISOString() } = {}) {
  const recordings = [];
  const files = [];
  for (const entry of entries) {
    const bytes = new Uint8Array(await entry.blob.arrayBuffer());
    const fileName = `files/${entry.localId}.${EXTENSIONS[entry.mimeType.split(';')[0].trim()] ?? 'bin'}`;
    recordings.push({
      localId: entry.localId,
      title: entry.title,
      recordingType: entry.recordingType,
      mimeType: entry.mimeType,
      createdAt: entry.createdAt,
      durationSeconds: entry.durationSeconds ?? null,
      ...(entry.slides ? { slides: entry.slides } : {}),
      fileName,
      sizeBytes: bytes.length,
      sha256: hex(await crypto.subtle.digest('SHA-256', bytes)),
    });
    files.push({ name: fileName, bytes });
  }
  const manifest = { version: 1, exportedAt, recordings };
  const json = new TextEncoder().encode(JSON.stringify(manifest, null, 2));
  return { manifest, blob: zip([{ name: 'manifest.json', bytes: json }, ...files]) };
}

const hex = (buffer) => Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, '0')).join('');

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i += 1) crc = CRC_TABLE[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

// PKZIP 2.0 "stored" entries: local headers, data, central directory, end record.
function zip(files, when = new Date()) {
  const dosTime = (when.getHours() << 11) | (when.getMinutes() << 5) | (when.getSeconds() >> 1);
  const dosDate = ((when.getFullYear() - 1980) << 9) | ((when.getMonth() + 1) << 5) | when.getDate();
  const parts = [];
  const central = [];
  let offset = 0;
  for (const { name, bytes } of files) {
    const nameBytes = new TextEncoder().encode(name);
    const crc = crc32(bytes);
    const header = (signature, extra) => {
      const view = new DataView(new ArrayBuffer(extra ? 46 : 30));
      view.setUint32(0, signature, true);
      let at = 4;
      if (extra) { view.setUint16(at, 20, true); at += 2; } // made by: 2.0
      view.setUint16(at, 20, true); // version needed
      view.setUint16(at + 2, 0x0800, true); // UTF-8 names
      view.setUint16(at + 4, 0, true); // stored
      view.setUint16(at + 6, dosTime, true);
      view.setUint16(at + 8, dosDate, true);
      view.setUint32(at + 10, crc, true);
      view.setUint32(at + 14, bytes.length, true);
      view.setUint32(at + 18, bytes.length, true);
      view.setUint16(at + 22, nameBytes.length, true);
      if (extra) view.setUint32(42, offset, true);
      return new Uint8Array(view.buffer);
    };
    const local = header(0x04034b50, false);
    parts.push(local, nameBytes, bytes);
    central.push(header(0x02014b50, true), nameBytes);
    offset += local.length + nameBytes.length + bytes.length;
  }
  const centralSize = central.reduce((sum, part) => sum + part.length, 0);
  const end = new DataView(new ArrayBuffer(22));
  end.setUint32(0, 0x06054b50, true);
  end.setUint16(8, files.length, true);
  end.setUint16(10, files.length, true);
  end.setUint32(12, centralSize, true);
  end.setUint32(16, offset, true);
  return new Blob([...parts, ...central, new Uint8Array(end.buffer)], { type: 'application/zip' });
}
