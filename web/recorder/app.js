// The demo recorder page: wires recorder-client.js to index.html. Everything reusable is in the module.
import {
  RecorderClient, Recording, SessionKeeper, LocalRecordings, LiveUpload, LiveStore, UploadPausedError, ApiError,
  openCapture, pickMimeType, captureFailure, exportLocalRecordings,
} from './recorder-client.js';

const client = new RecorderClient();
const local = new LocalRecordings();
const liveStore = new LiveStore();
const $ = (id) => document.getElementById(id);
const PAGE_SIZE = 8;
const RESUME_AFTER_MS = 30000;
const TYPE_NAMES = { camera: 'Camera', audio: 'Audio', screen: 'Screen', 'screen-camera': 'Screen + camera', 'slides-camera': 'Slides + camera', slides: 'Slides' };
const SLIDE_TYPES = new Set(['slides', 'slides-camera']);

const ui = {
  capture: null, // { stream, sources, release }; slides captures also { canvas, timeline, next, previous, goTo … }
  recording: null,
  session: null,
  stopMeter: () => {},
  cursor: null,
  uploading: false,
  resuming: false,
  progress: new Map(), // localId → text shown in "On this device"
};

// ---------------------------------------------------------------------------------------------
// Formatting

const pad = (n) => String(n).padStart(2, '0');
const clock = (seconds) => `${pad(Math.floor(seconds / 60))}:${pad(Math.floor(seconds % 60))}`;
const shortDuration = (value) => {
  if (value == null) return '';
  const total = Math.round(Number(value));
  return `${Math.floor(total / 60)}:${pad(total % 60)}`;
};
const seconds = (value) => (value == null ? '–' : `${Number(value).toFixed(1)} s`);
function bytes(n) {
  if (n == null) return '–';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit += 1; }
  return `${value.toFixed(value < 10 && unit > 0 ? 1 : 0)} ${units[unit]}`;
}
const resolution = (recording) => {
  const media = recording.metadata?.media;
  if (media?.width && media?.height) return `${media.width} × ${media.height}`;
  return media && media.hasVideo === false ? 'Audio only' : '–';
};
const when = (iso) => new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const problemText = (error) => (error instanceof ApiError ? error.message : String(error?.message ?? error));

function status(text) { $('status').textContent = text; }

// ---------------------------------------------------------------------------------------------
// Sign-in (the dev host's demo sign-in; in an app the app's own session cookie is already there)

async function start() {
  try {
    renderStorage(await client.getStorage());
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      $('signin').hidden = false;
      return;
    }
    status(`The API is not reachable: ${problemText(error)}`);
    $('studio').hidden = false;
    await renderLocal();
    return;
  }
  signedIn();
}

function signedIn() {
  $('signin').hidden = true;
  $('studio').hidden = false;
  $('library').hidden = false;
  $('account').hidden = false;
  $('who').textContent = localStorage.getItem('recorder-demo-user') ?? 'Signed in';
  loadRecordings(true);
  renderLocal().then(uploadPending);
  resumeLive();
}

$('signin-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  $('signin-error').textContent = '';
  const user = $('signin-user').value.trim();
  const response = await fetch('/dev/sign-in', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ user }) });
  if (!response.ok) {
    $('signin-error').textContent = response.status === 404
      ? 'This host has no demo sign-in: sign in to the app that embeds the recorder.'
      : `Sign-in failed (HTTP ${response.status}).`;
    return;
  }
  localStorage.setItem('recorder-demo-user', (await response.json()).userId);
  renderStorage(await client.getStorage());
  signedIn();
});

$('sign-out').addEventListener('click', async () => {
  await fetch('/dev/sign-out', { method: 'POST' });
  localStorage.removeItem('recorder-demo-user');
  location.reload();
});

// ---------------------------------------------------------------------------------------------
// Storage bar

async function refreshStorage() {
  try { renderStorage(await client.getStorage()); } catch { /* the bar keeps its last value */ }
}

function renderStorage(storage) {
  const percent = storage.limitBytes > 0 ? Math.min(100, (storage.usedBytes / storage.limitBytes) * 100) : 0;
  $('storage').hidden = false;
  $('storage-text').textContent = `${bytes(storage.usedBytes)} of ${bytes(storage.limitBytes)} used`;
  $('storage-fill').style.width = `${Math.max(percent, storage.usedBytes > 0 ? 1 : 0)}%`;
  $('storage-meter').setAttribute('aria-valuenow', percent.toFixed(1));
  $('storage-meter').dataset.level = percent >= 95 ? 'full' : percent >= 80 ? 'high' : 'ok';
}

// ---------------------------------------------------------------------------------------------
// Capture, preview, record

const mode = () => document.querySelector('input[name="mode"]:checked').value;

document.querySelectorAll('input[name="mode"]').forEach((input) => input.addEventListener('change', () => {
  $('slides-panel').hidden = !SLIDE_TYPES.has(mode());
  if (!ui.recording) closeCapture();
}));

// What openCapture needs besides the type: the chosen slide images for the slide types.
const captureOptions = (type) => (SLIDE_TYPES.has(type) ? { slides: [...$('slides-input').files] } : {});

// Slide recordings need their images before anything else happens: says so and returns false when there are none.
function readyToCapture(type) {
  if (!SLIDE_TYPES.has(type) || $('slides-input').files.length > 0) return true;
  status('Choose the slide images first.');
  $('slides-input').focus();
  return false;
}

// The browser may bring back the chosen type on a reload.
$('slides-panel').hidden = !SLIDE_TYPES.has(mode());

$('slides-input').addEventListener('change', () => {
  const names = [...$('slides-input').files].map((file) => file.name);
  $('slides-picked').textContent = names.length === 0 ? 'No slides chosen yet.' : `${names.length} slide(s): ${names.join(', ')}`;
  // A preview shows the slides it was opened with.
  if (!ui.recording) closeCapture();
});

async function openDevices() {
  closeCapture();
  const type = mode();
  const capture = await openCapture(type, captureOptions(type));
  ui.capture = capture;
  const preview = $('preview');
  const audioOnly = capture.stream.getVideoTracks().length === 0;
  // Slides show on their own canvas, the very picture recorded, full-size in the stage.
  preview.hidden = audioOnly || Boolean(capture.canvas);
  $('level').hidden = !audioOnly;
  $('stage-hint').hidden = true;
  $('stage').dataset.live = audioOnly ? 'audio' : 'video';
  if (audioOnly) {
    ui.stopMeter = drawLevel(capture.stream);
  } else if (capture.canvas) {
    capture.canvas.className = 'slide-canvas';
    capture.canvas.setAttribute('aria-label', 'Slides as recorded');
    $('stage').prepend(capture.canvas);
    $('slide-nav').hidden = false;
    renderSlidePosition();
  } else {
    preview.srcObject = capture.stream;
    await preview.play().catch(() => {});
  }
  return capture;
}

function closeCapture() {
  ui.stopMeter();
  ui.stopMeter = () => {};
  ui.capture?.release();
  ui.capture?.canvas?.remove();
  ui.capture = null;
  $('preview').srcObject = null;
  $('preview').hidden = false;
  $('level').hidden = true;
  $('slide-nav').hidden = true;
  $('stage-hint').hidden = false;
  delete $('stage').dataset.live;
  if (document.fullscreenElement) document.exitFullscreen();
}

// ---------------------------------------------------------------------------------------------
// Slides: next and previous with the buttons or the arrow keys; the capture keeps the timeline.

function renderSlidePosition() {
  const capture = ui.capture;
  if (!capture?.canvas) return;
  const index = capture.slideIndex;
  $('slide-position').textContent = `Slide ${index + 1} of ${capture.fileNames.length} · ${capture.fileNames[index]}`;
  $('slide-position').dataset.index = index;
  $('slide-previous').disabled = index === 0;
  $('slide-next').disabled = index === capture.fileNames.length - 1;
}

function stepSlide(step) {
  if (!ui.capture?.canvas) return;
  if (step > 0) ui.capture.next(); else ui.capture.previous();
  renderSlidePosition();
}

$('slide-next').addEventListener('click', () => stepSlide(1));
$('slide-previous').addEventListener('click', () => stepSlide(-1));
$('slide-fullscreen').addEventListener('click', () => {
  if (document.fullscreenElement) document.exitFullscreen(); else $('stage').requestFullscreen();
});
document.addEventListener('fullscreenchange', () => {
  $('slide-fullscreen').textContent = document.fullscreenElement ? 'Exit full screen' : 'Full screen';
});

addEventListener('keydown', (event) => {
  const step = { ArrowRight: 1, PageDown: 1, ArrowLeft: -1, PageUp: -1 }[event.key];
  // Arrow keys keep their own meaning in fields (the type picker's radios too) and dialogs.
  if (!step || !ui.capture?.canvas || event.altKey || event.ctrlKey || event.metaKey) return;
  if (event.target.closest?.('input, select, textarea, [contenteditable="true"]') || document.querySelector('dialog[open]')) return;
  event.preventDefault();
  stepSlide(step);
});

// A live level meter for audio-only recordings, so there is something to see; returns its stop.
function drawLevel(stream) {
  const context = new AudioContext();
  const analyser = context.createAnalyser();
  analyser.fftSize = 256;
  context.createMediaStreamSource(stream).connect(analyser);
  const data = new Uint8Array(analyser.frequencyBinCount);
  const canvas = $('level');
  const g = canvas.getContext('2d');
  const color = getComputedStyle(document.body).getPropertyValue('--accent').trim() || '#e5484d';
  let request = 0;
  const frame = () => {
    analyser.getByteFrequencyData(data);
    g.clearRect(0, 0, canvas.width, canvas.height);
    const bars = 48;
    const width = canvas.width / bars;
    g.fillStyle = color;
    for (let i = 0; i < bars; i += 1) {
      const value = data[Math.floor((i / bars) * data.length)] / 255;
      const h = Math.max(4, value * canvas.height * 0.9);
      g.fillRect(i * width + 2, (canvas.height - h) / 2, width - 4, h);
    }
    request = requestAnimationFrame(frame);
  };
  frame();
  return () => { cancelAnimationFrame(request); context.close(); };
}

$('preview-button').addEventListener('click', async () => {
  if (!readyToCapture(mode())) return;
  try {
    await openDevices();
    status('Preview on. Press Record when you are ready.');
  } catch (error) {
    status(`Could not open the ${TYPE_NAMES[mode()].toLowerCase()}: ${captureFailure(error).errorMessage}`);
  }
});

$('record').addEventListener('click', async () => {
  const recordingType = mode();
  if (!readyToCapture(recordingType)) return;
  const session = new SessionKeeper(client, { onError: (error) => console.warn('Recording session:', error) });
  ui.session = session;
  $('record').disabled = true;
  $('result').hidden = true;
  $('upload').hidden = true;
  const settings = { timeLimitSeconds: Number($('limit').value) || null };
  // The server reads the browser from the User-Agent itself; this is what only the page knows.
  const deviceInfo = { screen: { width: screen.width, height: screen.height }, maxTouchPoints: navigator.maxTouchPoints };
  await session.start({ recordingType, settings, deviceInfo });

  let capture = ui.capture;
  try {
    capture ??= await openDevices();
  } catch (error) {
    const failure = captureFailure(error);
    await session.interrupt(failure);
    status(failure.errorCode === 'permission_denied' ? 'Permission to use the device was denied.' : `Could not start: ${failure.errorMessage}`);
    $('record').disabled = false;
    return;
  }

  let recording;
  try {
    recording = new Recording(capture.stream, { mimeType: pickMimeType(recordingType), maxSeconds: Number($('limit').value), watch: capture.sources });
  } catch (error) {
    await session.interrupt({ errorCode: 'recorder_unsupported', errorMessage: String(error.message) });
    status(error.message);
    $('record').disabled = false;
    return;
  }
  ui.recording = recording;
  const title = $('title').value.trim() || `${TYPE_NAMES[recordingType]} recording ${new Date().toLocaleString()}`;
  $('live-notice').hidden = true;
  const live = $('live-upload').checked ? await startLive(recording, { title, recordingType, session, capture }) : null;
  recording.addEventListener('tick', (event) => { $('timer').textContent = clock(event.detail.seconds); });
  recording.addEventListener('devicelost', (event) => {
    session.interrupt({ errorCode: 'device_lost', errorMessage: `The ${event.detail.kind} device stopped (${event.detail.label || 'unknown'}).` });
    status('A device stopped: the recording ended early and keeps what it has.');
  });
  // The slide timeline is the recording's: its metadata carries it to the API (and to IndexedDB before that).
  recording.addEventListener('stop', (event) => finishRecording({ recordingType, title, live }, event.detail, capture.timeline?.toJSON()));
  capture.timeline?.attach(recording);
  recording.start();
  $('timer').textContent = '00:00';
  $('stop').disabled = false;
  $('pause').disabled = false;
  $('rec-badge').hidden = false;
  document.body.classList.add('is-recording');
  status(`Recording ${TYPE_NAMES[recordingType].toLowerCase()}…`);
});

$('stop').addEventListener('click', () => ui.recording?.stop());

$('pause').addEventListener('click', () => {
  const recording = ui.recording;
  if (!recording) return;
  if (recording.state === 'paused') recording.resume(); else recording.pause();
  const paused = recording.state === 'paused';
  $('pause').textContent = paused ? 'Resume' : 'Pause';
  $('rec-badge').dataset.paused = paused;
  status(paused ? 'Paused: nothing is recorded until you resume.' : 'Recording…');
});

addEventListener('beforeunload', (event) => { if (ui.recording) event.preventDefault(); });

async function finishRecording({ recordingType, title, live }, { blob, mimeType, durationSeconds }, slides) {
  const session = ui.session;
  ui.recording = null;
  closeCapture();
  $('stop').disabled = true;
  $('pause').disabled = true;
  $('pause').textContent = 'Pause';
  delete $('rec-badge').dataset.paused;
  $('record').disabled = false;
  $('rec-badge').hidden = true;
  document.body.classList.remove('is-recording');
  $('timer').textContent = clock(durationSeconds);
  $('title').value = '';

  if (live) {
    // The slices are in IndexedDB and mostly in storage already: Stop sends the rest and commits.
    status(`Recorded ${seconds(durationSeconds)}: sending the rest…`);
    await session.complete({ duration: durationSeconds });
    await finishLive(live, { durationSeconds, slides });
    return;
  }
  // Kept in the browser first: nothing is lost if the upload fails or the tab closes during it, or while the
  // session's completion is retried through an outage of the API.
  await local.put({ title, recordingType, mimeType, durationSeconds, blob, sessionId: session.id, ...(slides ? { slides } : {}) });
  status(`Recorded ${seconds(durationSeconds)} (${bytes(blob.size)}).`);
  // Ends the session unless device loss already interrupted it (SessionKeeper ends a session once).
  await session.complete({ duration: durationSeconds });
  await renderLocal();
  await uploadPending();
}

// ---------------------------------------------------------------------------------------------
// Live upload: staged while recording, committed at Stop; resumed on the next visit if the page went away first

// A live upload of the recording, or null when the API cannot make one now (offline, an outage, the quota): the recording
// is then kept whole in IndexedDB at Stop and uploaded from there, as before live uploads.
async function startLive(recording, { title, recordingType, session, capture }) {
  try {
    const live = await LiveUpload.create(client, {
      title, recordingType, mimeType: recording.mimeType, sessionId: session.id ?? undefined, metadata: { recordedWith: 'recorder-page' },
    }, { store: liveStore, session, slides: capture.timeline ? () => capture.timeline.toJSON() : null });
    live.attach(recording);
    watchLive(live, recording);
    return live;
  } catch (error) {
    console.warn('Live upload unavailable; the recording uploads after Stop:', error);
    return null;
  }
}

function watchLive(live, recording) {
  live.addEventListener('progress', ({ detail }) => {
    const { recordedBytes, stagedBytes, atRiskBytes } = detail;
    $('upload').hidden = false;
    $('upload-progress').value = recordedBytes > 0 ? (stagedBytes / recordedBytes) * 100 : 0;
    $('upload-percent').textContent = `${Math.floor($('upload-progress').value)}%`;
    $('upload-text').textContent = `Uploading while recording: ${bytes(stagedBytes)} of ${bytes(recordedBytes)} stored`
      + ` (${seconds(detail.stagedSeconds)} of ${seconds(detail.recordedSeconds)}); ${bytes(atRiskBytes)} only on this device so far.`;
  });
  live.addEventListener('waiting', ({ detail: waiting }) => {
    if (waiting) $('upload-text').textContent = 'Offline: what is recorded waits on this device and uploads when the network is back.';
  });
  live.addEventListener('halt', ({ detail }) => {
    const text = haltText(detail);
    if (text) showNotice(text);
    recording?.stop();
  });
  live.addEventListener('error', ({ detail }) => console.warn('Live upload:', detail));
}

// Why a live upload stopped taking more, for the user; null when nothing went wrong (it was committed).
function haltText({ outcome, problem }) {
  if (outcome === 'refused') {
    const why = {
      quota: 'your storage is full',
      maxFileSize: 'the recording reached the largest file allowed',
      maxBlocks: 'the recording reached the most blocks a file may have',
    }[problem?.exceeded] ?? 'the recording is past a limit';
    const kept = problem?.recoverableBlocks > 0
      ? `the first part, which fits (${bytes(problem.recoverableBytes)}), is kept` : 'nothing of it fits';
    return `Recording stopped: ${why}; ${kept}.`;
  }
  if (outcome === 'recovered') {
    return 'Recording stopped: the server had not heard from this page for too long and finished the recording with what it had.';
  }
  if (outcome === 'gone') return 'Recording stopped: this recording is no longer uploading (deleted, or finished elsewhere).';
  return null;
}

function showNotice(text) {
  $('live-notice').textContent = text;
  $('live-notice').hidden = false;
}

async function finishLive(live, options) {
  let result;
  try {
    result = await live.finish(options);
  } catch (error) {
    status(`The upload of “${live.title}” stopped (${problemText(error)}); it is kept on this device and finishes on your next`
      + ' visit.');
    return;
  }
  if (result.outcome === 'gone') {
    $('upload').hidden = true;
    await loadRecordings(true);
    return;
  }
  $('upload-progress').value = 100;
  $('upload-percent').textContent = '100%';
  $('upload-text').textContent = result.outcome === 'committed' ? `Uploaded “${live.title}”. Processing…`
    : result.outcome === 'recovered'
      ? `“${live.title}” is all stored; the server finishes it once this page has been quiet for a while.`
      : `“${live.title}”: processing what was kept…`;
  await loadRecordings(true);
  await showResult(result.recordingId);
}

// Live uploads an earlier page left unfinished (a reload, a closed tab, a restarted browser): what storage lacks is sent
// and they are committed. One another tab is still recording or finishing is left to it (LiveUpload.resumable).
async function resumeLive() {
  if (ui.resuming || !navigator.onLine) return;
  ui.resuming = true;
  try {
    for (const live of await LiveUpload.resumable(client, { store: liveStore })) {
      watchLive(live, null);
      status(`Finishing the upload of “${live.title}” from an earlier visit…`);
      await finishLive(live, {});
    }
  } catch (error) {
    status(`Could not finish an earlier recording's upload: ${problemText(error)}`);
  } finally {
    ui.resuming = false;
  }
}

// ---------------------------------------------------------------------------------------------
// Upload (queue of local recordings), then processing

async function uploadPending() {
  if (ui.uploading || !navigator.onLine) return;
  ui.uploading = true;
  try {
    for (let entry = await nextPending(); entry; entry = await nextPending()) {
      if (!await uploadEntry(entry)) break;
    }
  } finally {
    ui.uploading = false;
  }
}

// The oldest entry that is not held back (refused for good until the user says "Upload now").
async function nextPending() {
  return (await local.list()).find((entry) => !entry.held);
}

async function uploadEntry(entry) {
  const panel = $('upload');
  panel.hidden = false;
  $('result').hidden = true;
  const show = (percent, text) => {
    $('upload-progress').value = percent;
    $('upload-percent').textContent = `${Math.floor(percent)}%`;
    $('upload-text').textContent = text;
    ui.progress.set(entry.localId, text);
    const row = $('local-list').querySelector(`[data-local-id="${entry.localId}"] .local-state`);
    if (row) row.textContent = text;
  };
  // State saves run in order and finish before the entry is deleted, or a late save would bring it back.
  let saving = Promise.resolve();
  const save = (changes) => { saving = saving.then(() => local.update(entry.localId, changes)); return saving; };
  show(0, `Uploading “${entry.title}”…`);
  let recordingId;
  try {
    recordingId = await client.upload(entry.blob, {
      title: entry.title,
      recordingType: entry.recordingType,
      mimeType: entry.mimeType,
      sessionId: entry.sessionId ?? undefined,
      metadata: {
        durationSeconds: entry.durationSeconds,
        recordedWith: 'recorder-page',
        ...(entry.slides ? { slides: entry.slides } : {}),
      },
    }, {
      state: entry.upload,
      onProgress: ({ loaded, total }) => show((loaded / total) * 100, `Uploading “${entry.title}”: ${bytes(loaded)} of ${bytes(total)}`),
      // Once the upload exists the session is linked to it: a later new upload must not name it again.
      onState: (state) => save({ upload: structuredClone(state), sessionId: null }),
      onWaiting: (waiting) => { if (waiting) show(Number($('upload-progress').value), 'Offline: the upload waits for the network and resumes where it stopped.'); },
    });
  } catch (error) {
    ui.progress.delete(entry.localId);
    if (error instanceof UploadPausedError) {
      await save({ upload: structuredClone(error.state), lastError: error.message });
      show(Number($('upload-progress').value), 'Upload paused after network errors; it resumes when the connection is back.');
      setTimeout(uploadPending, RESUME_AFTER_MS);
    } else if (!(error instanceof ApiError) || error.status >= 500 || [401, 408, 429].includes(error.status)) {
      // The API could not be reached or was busy: tried again later, from where it stopped.
      await save({ lastError: problemText(error) });
      show(Number($('upload-progress').value), `Upload interrupted (${problemText(error)}); it is tried again shortly.`);
      setTimeout(uploadPending, RESUME_AFTER_MS);
    } else {
      // Refused for good (quota, validation): kept here to export or discard; not retried automatically.
      await save({ lastError: problemText(error), held: true });
      show(0, `Upload failed: ${problemText(error)}`);
    }
    await renderLocal();
    return false;
  }
  ui.progress.delete(entry.localId);
  await saving;
  await local.delete(entry.localId);
  await renderLocal();
  show(100, `Uploaded “${entry.title}”. Processing…`);
  await loadRecordings(true);
  await showResult(recordingId);
  return true;
}

async function showResult(id) {
  $('result').hidden = false;
  $('result-thumb').hidden = true;
  let recording;
  try {
    recording = await client.waitUntilProcessed(id, { onStatus: renderResult });
  } catch (error) {
    $('result-error').textContent = problemText(error);
    return;
  }
  $('upload').hidden = true;
  status(recording.status === 'completed' ? `“${recording.title}” is ready.` : `“${recording.title}” could not be processed.`);
  await Promise.all([loadRecordings(true), refreshStorage()]);
}

function renderResult(recording) {
  $('result').dataset.recordingId = recording.id;
  $('result').dataset.status = recording.status;
  $('result').dataset.type = recording.recordingType;
  $('result-title').textContent = recording.title;
  const chip = $('result-status');
  chip.textContent = recording.status === 'processing' || recording.status === 'uploading' ? 'Processing…' : recording.status === 'completed' ? 'Completed' : 'Failed';
  chip.dataset.status = recording.status;
  $('result-duration').textContent = seconds(recording.duration);
  $('result-size').textContent = bytes(recording.fileSize);
  $('result-resolution').textContent = resolution(recording);
  $('result-error').textContent = recording.status === 'failed' ? recording.failureReason ?? 'Processing failed.' : '';
  // The library shows the same recording: keep its card in step.
  $('recordings').querySelector(`[data-recording-id="${recording.id}"]`)?.replaceWith(renderItem(recording));
  if (recording.thumbnailUrl) {
    const img = $('result-thumb');
    img.alt = `Thumbnail of ${recording.title}`;
    img.src = recording.thumbnailUrl;
    img.hidden = false;
  }
}

addEventListener('online', () => { status('Back online.'); uploadPending(); resumeLive(); });
addEventListener('offline', () => status('Offline: new recordings stay on this device until the connection is back.'));

// ---------------------------------------------------------------------------------------------
// On this device

async function renderLocal() {
  const entries = await local.list();
  $('local').hidden = entries.length === 0;
  const list = $('local-list');
  list.replaceChildren(...entries.map((entry) => {
    const li = document.createElement('li');
    li.dataset.localId = entry.localId;
    const info = document.createElement('div');
    const title = document.createElement('strong');
    title.textContent = entry.title;
    const meta = document.createElement('span');
    meta.className = 'muted';
    meta.textContent = ` · ${TYPE_NAMES[entry.recordingType]} · ${seconds(entry.durationSeconds)} · ${bytes(entry.sizeBytes)}`;
    const state = document.createElement('p');
    state.className = 'local-state';
    state.textContent = ui.progress.get(entry.localId) ?? entry.lastError ?? (navigator.onLine ? 'Waiting to upload' : 'Waiting for the network');
    info.append(title, meta, state);
    const discard = document.createElement('button');
    discard.type = 'button';
    discard.className = 'button small ghost danger';
    discard.textContent = 'Discard';
    discard.addEventListener('click', async () => { await local.delete(entry.localId); renderLocal(); });
    li.append(info, discard);
    return li;
  }));
}

$('upload-all').addEventListener('click', async () => {
  for (const entry of await local.list()) await local.update(entry.localId, { held: false });
  uploadPending();
});

$('export').addEventListener('click', async () => {
  const { blob, manifest } = await exportLocalRecordings(await local.list());
  const link = document.createElement('a');
  link.href = URL.createObjectURL(blob);
  link.download = `recordings-export-${new Date().toISOString().replace(/[:.]/g, '-')}.zip`;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 60000);
  status(`Exported ${manifest.recordings.length} recording(s).`);
});

// ---------------------------------------------------------------------------------------------
// My recordings

$('type-filter').addEventListener('change', () => loadRecordings(true));
$('more').addEventListener('click', () => loadRecordings(false));

async function loadRecordings(reset) {
  if (reset) ui.cursor = null;
  let page;
  try {
    page = await client.listRecordings({ limit: PAGE_SIZE, cursor: ui.cursor ?? undefined, type: $('type-filter').value || undefined });
  } catch (error) {
    status(`Could not load your recordings: ${problemText(error)}`);
    return;
  }
  const list = $('recordings');
  const items = page.items.map(renderItem);
  if (reset) list.replaceChildren(...items); else list.append(...items);
  ui.cursor = page.nextCursor;
  $('more').hidden = !page.nextCursor;
  $('empty').hidden = list.children.length > 0;
}

function renderItem(recording) {
  const item = $('recording-template').content.firstElementChild.cloneNode(true);
  item.dataset.recordingId = recording.id;
  item.dataset.status = recording.status;
  item.dataset.type = recording.recordingType;
  const img = item.querySelector('img');
  if (recording.thumbnailUrl) {
    img.src = recording.thumbnailUrl;
    img.alt = `Thumbnail of ${recording.title}`;
  } else {
    img.remove();
  }
  item.querySelector('.thumb-icon').textContent = recording.recordingType === 'audio' ? '♪' : '▶';
  item.querySelector('.duration').textContent = shortDuration(recording.duration);
  item.querySelector('.item-title').textContent = recording.title;
  item.querySelector('.item-meta').textContent = [TYPE_NAMES[recording.recordingType], bytes(recording.fileSize), when(recording.createdAt)].join(' · ');
  const state = item.querySelector('.item-status');
  if (recording.status !== 'completed') {
    state.innerHTML = '';
    const chip = document.createElement('span');
    chip.className = 'chip';
    chip.dataset.status = recording.status;
    chip.textContent = recording.status === 'failed' ? `Failed: ${recording.failureReason ?? 'processing failed'}` : recording.status === 'uploading' ? 'Uploading' : 'Processing';
    state.append(chip);
  }
  item.querySelector('[data-action="edit"]').disabled = recording.status !== 'completed';
  item.querySelector('[data-action="edit"]').addEventListener('click', () => openEditor(recording.id));
  item.querySelector('[data-action="rename"]').addEventListener('click', () => rename(recording, item));
  item.querySelector('[data-action="delete"]').addEventListener('click', () => remove(recording, item));
  return item;
}

function ask(dialog) {
  return new Promise((resolve) => {
    dialog.returnValue = '';
    dialog.addEventListener('close', () => resolve(dialog.returnValue), { once: true });
    dialog.showModal();
  });
}

async function rename(recording, item) {
  $('rename-input').value = recording.title;
  if (await ask($('rename-dialog')) !== 'save') return;
  const title = $('rename-input').value.trim();
  if (!title || title === recording.title) return;
  try {
    const updated = await client.updateRecording(recording.id, { title });
    recording.title = updated.title;
    item.querySelector('.item-title').textContent = updated.title;
    status(`Renamed to “${updated.title}”.`);
  } catch (error) {
    status(`Rename failed: ${problemText(error)}`);
  }
}

async function remove(recording, item) {
  $('confirm-text').textContent = `“${recording.title}” and its files will be deleted. This cannot be undone.`;
  if (await ask($('confirm-dialog')) !== 'confirm') return;
  try {
    await client.deleteRecording(recording.id);
    item.remove();
    $('empty').hidden = $('recordings').children.length > 0;
    if ($('result').dataset.recordingId === String(recording.id)) $('result').hidden = true;
    status(`Deleted “${recording.title}”.`);
    await refreshStorage();
  } catch (error) {
    status(`Delete failed: ${problemText(error)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Trim editor: the edits API with undo/redo; the player plays the trimmed window.

const editor = { id: null, version: 0, trim: null, duration: 0, player: null };

async function openEditor(id) {
  const recording = await client.getRecording(id);
  const audio = recording.recordingType === 'audio';
  const player = audio ? $('editor-audio') : $('editor-video');
  $('editor-audio').hidden = !audio;
  $('editor-video').hidden = audio;
  player.src = recording.mediaUrl;
  $('editor-title').textContent = `Trim “${recording.title}”`;
  Object.assign(editor, { id, duration: Number(recording.duration), player });
  $('trim-end').max = $('trim-start').max = editor.duration;
  applyState(recording.edits);
  renderChapters(recording);
  $('editor-error').textContent = '';
  $('editor').dataset.recordingId = id;
  $('editor').showModal();
}

function applyState(state) {
  editor.version = state?.version ?? 0;
  editor.trim = state?.trim ?? null;
  $('trim-start').value = editor.trim ? editor.trim.start : 0;
  $('trim-end').value = editor.trim ? editor.trim.end : editor.duration;
  $('trim-state').textContent = editor.trim
    ? `Trimmed to ${seconds(editor.trim.start)} – ${seconds(editor.trim.end)} (${seconds(editor.trim.end - editor.trim.start)} kept)`
    : `Not trimmed (${seconds(editor.duration)})`;
  $('editor').dataset.version = editor.version;
  const kept = $('timeline-kept');
  kept.style.left = `${editor.trim && editor.duration ? (editor.trim.start / editor.duration) * 100 : 0}%`;
  kept.style.width = `${editor.trim && editor.duration ? ((editor.trim.end - editor.trim.start) / editor.duration) * 100 : 100}%`;
  if (editor.trim && editor.player) editor.player.currentTime = editor.trim.start;
  $('undo').disabled = !state?.canUndo;
  $('redo').disabled = !state?.canRedo;
}

// A slides recording's timeline as its trim leaves it: each slide a button that plays from it.
function renderChapters(recording) {
  const entries = recording.slides?.entries ?? [];
  $('editor-chapters').hidden = entries.length === 0;
  $('editor-chapters').replaceChildren(...entries.map((entry) => {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'button small ghost';
    button.textContent = `${shortDuration(entry.start)} · ${entry.fileName}`;
    // The player plays the whole file within the trim: sourceStart is the slide's place in it.
    button.addEventListener('click', () => { editor.player.currentTime = entry.sourceStart; });
    const item = document.createElement('li');
    item.append(button);
    return item;
  }));
}

async function change(action) {
  $('editor-error').textContent = '';
  try {
    const result = await action();
    applyState(result.state);
    // A trim moves the slides; the API computes where they are now.
    if (!$('editor-chapters').hidden) renderChapters(await client.getRecording(editor.id));
  } catch (error) {
    if (error instanceof ApiError && error.status === 409) {
      // Someone else changed the history: show theirs, the user decides again.
      applyState((await client.getRecording(editor.id)).edits);
    }
    $('editor-error').textContent = problemText(error);
  }
}

$('trim-apply').addEventListener('click', () => change(() => client.applyEdit(editor.id, {
  editType: 'trim',
  parameters: { start: Number($('trim-start').value), end: Number($('trim-end').value) },
}, { version: editor.version })));
$('undo').addEventListener('click', () => change(() => client.undoEdit(editor.id, { version: editor.version })));
$('redo').addEventListener('click', () => change(() => client.redoEdit(editor.id, { version: editor.version })));

// The player keeps to the trimmed window.
for (const player of [$('editor-video'), $('editor-audio')]) {
  player.addEventListener('play', () => { if (editor.trim && (player.currentTime < editor.trim.start || player.currentTime >= editor.trim.end)) player.currentTime = editor.trim.start; });
  player.addEventListener('timeupdate', () => { if (editor.trim && player.currentTime >= editor.trim.end) { player.pause(); player.currentTime = editor.trim.start; } });
}
$('editor').addEventListener('close', () => { editor.player?.pause(); loadRecordings(true); });

start();
