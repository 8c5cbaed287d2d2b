import socket,time,sys
ss=[]
for i in range(80):
    try:
        s=socket.create_connection(("127.0.0.1",18082),timeout=1); ss.append(s)
    except Exception as e: print("err",i,e); break
print("opened",len(ss))
time.sleep(4)
