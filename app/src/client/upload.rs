//! Uploading a file for the next message, with its progress: `XMLHttpRequest` (the one browser
//! API that reports upload progress) sends the file's bytes to
//! `POST /api/conversations/{id}/files`; the state follows (started, progress, stored or
//! failed). A failed upload is tried again with the same file.

use super::ChatClient;
use protocol::{Attachment, ConversationId};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

/// Starts uploading `file` (upload `key` of `conversation`).
pub fn start(client: ChatClient, conversation: ConversationId, key: u64, file: web_sys::File) {
    let size = file.size().max(0.0) as u64;
    client.update(|s| {
        s.upload_started(conversation, key, file.name(), size);
        Vec::new()
    });
    let failed = move |why: String| {
        client.update(move |s| {
            s.upload_ended(conversation, key, Err(why));
            Vec::new()
        })
    };
    let Ok(xhr) = web_sys::XmlHttpRequest::new() else {
        return failed("this browser cannot upload files".into());
    };
    let name = js_sys::encode_uri_component(&file.name());
    let url = format!("/api/conversations/{conversation}/files?name={name}");
    if xhr.open("POST", &url).is_err() {
        return failed("the upload could not start".into());
    }
    // The closures live as long as the request (one upload, a few small closures: leaked).
    let progress =
        Closure::<dyn FnMut(web_sys::ProgressEvent)>::new(move |e: web_sys::ProgressEvent| {
            if e.length_computable() {
                let sent = e.loaded().max(0.0) as u64;
                client.update(move |s| {
                    s.upload_progress(conversation, key, sent);
                    Vec::new()
                });
            }
        });
    if let Ok(upload) = xhr.upload() {
        upload.set_onprogress(Some(progress.as_ref().unchecked_ref()));
    }
    progress.forget();
    let done_xhr = xhr.clone();
    let done = Closure::<dyn FnMut()>::new(move || {
        let status = done_xhr.status().unwrap_or(0);
        let body = done_xhr.response_text().ok().flatten().unwrap_or_default();
        let result = if status == 201 {
            serde_json::from_str::<Attachment>(&body).map_err(|e| format!("unexpected reply: {e}"))
        } else {
            Err(crate::api::describe_error(status, &body).0)
        };
        client.update(move |s| {
            s.upload_ended(conversation, key, result);
            Vec::new()
        });
    });
    xhr.set_onload(Some(done.as_ref().unchecked_ref()));
    done.forget();
    let lost = Closure::<dyn FnMut()>::new(move || failed("the connection was lost".into()));
    xhr.set_onerror(Some(lost.as_ref().unchecked_ref()));
    lost.forget();
    if xhr.send_with_opt_blob(Some(&file)).is_err() {
        failed("the upload could not start".into());
    }
}
